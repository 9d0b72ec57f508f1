"""What the generated county holds: chains, trades, products, facility kinds and their plans,
busy hours, holidays, names."""
from __future__ import annotations

from datetime import date

DAY = 1440

CHAINS = [
    dict(name="泽国鞋帽服装产业链", name_en="Zeguo Footwear, Hats & Apparel Chain", short="泽国鞋服", short_en="Zeguo",
         place=("温岭市", "Wenling"), region="331081", trades=("shoes", "shoes", "hats", "apparel"), weight=1.5),
    dict(name="宜黄塑料电子产业链", name_en="Yihuang Plastics & Electronics Chain", short="宜黄塑电", short_en="Yihuang",
         place=("宜黄县", "Yihuang"), region="361026", trades=("plastics", "electronics"), weight=1.0),
    dict(name="南庄建筑陶瓷产业链", name_en="Nanzhuang Building Ceramics Chain", short="南庄陶瓷", short_en="Nanzhuang",
         place=("佛山市", "Foshan"), region="440604", trades=("ceramics",), weight=1.2),
    dict(name="晋中新能源汽车产业联盟", name_en="Jinzhong New-Energy Vehicle Alliance", short="晋中新能源",
         short_en="Jinzhong NEV", place=("晋中市", "Jinzhong"), region="140702", trades=("auto",), weight=0.8),
    dict(name="晋中数字科技产业联盟", name_en="Jinzhong Digital Technology Alliance", short="晋中数科",
         short_en="Jinzhong Digital", place=("晋中市", "Jinzhong"), region="140702", trades=("digital",), weight=0.7),
    dict(name="晋中高端装备产业联盟", name_en="Jinzhong High-End Equipment Alliance", short="晋中装备",
         short_en="Jinzhong Equipment", place=("晋中市", "Jinzhong"), region="140702", trades=("equipment",),
         weight=0.8),
    dict(name="晋中医药产业联盟", name_en="Jinzhong Medicine Alliance", short="晋中医药", short_en="Jinzhong Medicine",
         place=("晋中市", "Jinzhong"), region="140702", trades=("medicine",), weight=0.6),
    dict(name="靖江船舶制造产业联盟", name_en="Jingjiang Shipbuilding Alliance", short="靖江船舶",
         short_en="Jingjiang Shipbuilding", place=("靖江市", "Jingjiang"), region="321282", trades=("ships",),
         weight=0.9),
    dict(name="靖江绿色铸造产业联盟", name_en="Jingjiang Green Casting Alliance", short="靖江铸造",
         short_en="Jingjiang Casting", place=("靖江市", "Jingjiang"), region="321282", trades=("casting",), weight=0.8),
    dict(name="靖江汽车零部件产业联盟", name_en="Jingjiang Auto Parts Alliance", short="靖江汽配",
         short_en="Jingjiang Auto Parts", place=("靖江市", "Jingjiang"), region="321282", trades=("autoparts",),
         weight=1.0),
]
for _chain in CHAINS:
    _chain["description"] = (f"{_chain['place'][0]}{_chain['name']}：链上企业共享生产线、直播间、研发中心、实验室与"
                             "会议场所，链委会按月审议共享设施的使用率、公平性与降本成效。")

TRADES = {"shoes": ("鞋业", "Footwear"), "hats": ("帽业", "Hats"), "apparel": ("服饰", "Apparel"),
          "plastics": ("塑胶制品", "Plastic Products"), "electronics": ("电子科技", "Electronics"),
          "ceramics": ("陶瓷", "Ceramics"), "auto": ("新能源科技", "New Energy Technology"),
          "digital": ("数字科技", "Digital Technology"), "equipment": ("智能装备", "Intelligent Equipment"),
          "medicine": ("医药", "Pharmaceutical"), "ships": ("船舶配套", "Marine Equipment"),
          "casting": ("铸造", "Casting"), "autoparts": ("汽车零部件", "Auto Parts")}
PRODUCTS = {"shoes": ("童鞋", "女士单鞋", "运动鞋"), "hats": ("遮阳帽", "棒球帽"), "apparel": ("童装", "休闲服装"),
            "plastics": ("注塑件", "塑料活塞"), "electronics": ("电子线材", "控制板"), "ceramics": ("釉面砖", "岩板"),
            "auto": ("电池包", "电驱总成"), "digital": ("工业软件", "智能终端"), "equipment": ("数控部件", "液压件"),
            "medicine": ("中药饮片", "保健食品"), "ships": ("舾装件", "船用阀门"), "casting": ("铸铁件", "铝合金铸件"),
            "autoparts": ("制动盘", "轮毂")}
PURPOSES = {
    "production_line": ("{p}批量生产", "{p}新品试产", "{p}外贸订单赶制", "{p}小批量打样"),
    "livestream_studio": ("直播带货：{p}专场", "新品首发直播：{p}", "工厂溯源直播：{p}", "外贸B2B直播：{p}"),
    "rd_centre": ("{p}自动化改造调试", "{p}工艺研发", "视觉检测系统联调：{p}", "设备改造方案评审：{p}"),
    "lab": ("{p}性能检测", "{p}模具试模", "{p}样品检验", "{p}新材料验证"),
    "meeting_room": ("{p}客户商务洽谈", "{p}外贸订单洽谈", "{p}供应链对接会", "{p}原材料采购洽谈"),
    "training_room": ("新员工安全生产培训", "电商直播运营培训", "质量管理体系培训", "{p}工艺技能培训"),
    "exhibition_hall": ("{p}新品发布会", "{p}订货会", "{p}展销活动", "{p}客户参观接待"),
    "other": ("{p}样品仓储", "{p}物流集散", "{p}物料周转", "{p}设备临时存放"),
}
KIND_NAMES = {
    "production_line": ("共享生产线", "Shared Production Line", "链委会运营的共享车间生产线，按小时或按件向链上企业开放。"),
    "livestream_studio": ("共享直播间", "Shared Livestream Studio", "补光灯、声卡、提词器与样品台齐备的共享直播间。"),
    "rd_centre": ("共享研发中心", "Shared R&D Centre", "向链上企业开放的设备自动化与工艺研发中心。"),
    "lab": ("检测实验室", "Testing Lab", "产品检测、试模与样品验证实验室。"),
    "meeting_room": ("商务洽谈室", "Negotiation Room", "接待客户、洽谈订单的商务洽谈室。"),
    "training_room": ("培训教室", "Training Room", "安全生产、电商运营与设备操作培训教室。"),
    "exhibition_hall": ("展厅", "Exhibition Hall", "新品发布与订货会展厅。"),
    "other": ("共享仓储区", "Shared Storage Area", "样品与物料周转的共享仓储区。"),
}
PARKS = ("工业园区", "产业园", "科创中心", "电商园区")


def _every(days, *spans) -> list[tuple[int, int, int]]:
    return [(day, start, end) for day in days for start, end in spans]


WEEKDAYS, MON_SAT, EVERY_DAY = range(5), range(6), range(7)
# Per kind: how many, slot grid, longest booking, notice, buffers, approval, hosting, money, hours.
KIND_PLAN = {
    "production_line": dict(
        count=30, slot=60, max=720, notice=DAY, buffer=(30, 60), approval=1.0, hosted=0.3, capacity=(9, 12, 20),
        reference=(800, 1600), unit_reference=(150, 400), throughput=(100, 400), output="pieces",
        basis=(1, 1, 3), no_show_hours=2, tod="line", bias={"晋中数科": 0.2, "晋中医药": 0.5},
        hours=[(_every(EVERY_DAY, (0, DAY)), 8), (_every(MON_SAT, (420, 1380)), 22)]),
    "livestream_studio": dict(
        count=70, slot=30, max=360, notice=120, buffer=(0, 30), approval=0.6, hosted=0.1, capacity=(4, 6, 8),
        reference=(100, 200), output="sessions", basis=(6, 1, 1), no_show_hours=1, tod="studio",
        bias={"泽国鞋服": 4, "南庄陶瓷": 2, "晋中数科": 2},
        hours=[(_every(EVERY_DAY, (540, DAY)), 6), (_every(MON_SAT, (600, 1320)), 4)]),
    "rd_centre": dict(
        count=20, slot=60, max=480, notice=DAY, buffer=(0, 30), approval=1.0, hosted=0.6, capacity=(10, 15),
        reference=(500, 1000), output="samples", basis=(4, 1, 1), no_show_hours=1, tod="office",
        hours=[(_every(WEEKDAYS, (480, 1080)), 8), (_every(MON_SAT, (480, 1080)), 2)]),
    "lab": dict(
        count=40, slot=60, max=600, notice=DAY, buffer=(30, 60), approval=0.9, hosted=0.6, capacity=(6, 8),
        reference=(400, 1200), unit_reference=(500, 2000), throughput=(20, 80), output="pieces",
        basis=(1, 3, 1), no_show_hours=1, tod="office",
        hours=[(_every(WEEKDAYS, (480, 1080)), 6), (_every(MON_SAT, (480, 1200)), 4)]),
    "meeting_room": dict(
        count=60, slot=30, max=240, notice=60, buffer=(0,), approval=0.4, hosted=0.1, capacity=(8, 12, 20),
        reference=(100, 250), output="", basis=(6, 1, 1), no_show_hours=0, tod="office",
        hours=[(_every(WEEKDAYS, (510, 1080)), 6), (_every(MON_SAT, (510, 1230)), 4)]),
    "training_room": dict(
        count=35, slot=30, max=240, notice=DAY, buffer=(0, 30), approval=0.7, hosted=0.1, capacity=(30, 60, 100),
        reference=(150, 300), output="", basis=(6, 1, 1), no_show_hours=0, tod="office",
        hours=[(_every(WEEKDAYS, (510, 720), (810, 1050)), 1)]),
    "exhibition_hall": dict(
        count=25, slot=30, max=480, notice=DAY, buffer=(30, 60), approval=0.8, hosted=0.1, capacity=(50, 120, 300),
        reference=(300, 800), output="", basis=(6, 1, 1), no_show_hours=0, tod="office",
        hours=[(_every(EVERY_DAY, (540, 1020)), 1), (_every(MON_SAT, (540, 1020)), 1)]),
    "other": dict(
        count=20, slot=30, max=480, notice=60, buffer=(0,), approval=0.5, hosted=0.3, capacity=(None,),
        reference=(40, 120), output="", basis=(6, 1, 1), no_show_hours=0, tod="office",
        hours=[(_every(WEEKDAYS, (480, 1080)), 1)]),
}


def _profile(by_hour: dict[range, float], weekend: float) -> tuple[list[float], list[float]]:
    """How much an hour of the day is wanted (weekdays, weekends)."""
    weekday = [next((v for hours, v in by_hour.items() if h in hours), 0.3) for h in range(24)]
    return weekday, [v * weekend for v in weekday]


TIME_OF_DAY = {
    "line": _profile({range(7, 18): 1.0, range(18, 24): 0.7}, 0.7),
    "studio": _profile({range(9, 14): 0.5, range(14, 19): 0.9, range(19, 24): 1.6}, 1.2),
    "office": _profile({range(8, 9): 0.7, range(9, 12): 1.2, range(12, 14): 0.6, range(14, 17): 1.1,
                        range(17, 24): 0.6}, 0.6),
}
SPRING_FESTIVAL = [date(*d) for d in (
    (2015, 2, 19), (2016, 2, 8), (2017, 1, 28), (2018, 2, 16), (2019, 2, 5), (2020, 1, 25), (2021, 2, 12),
    (2022, 2, 1), (2023, 1, 22), (2024, 2, 10), (2025, 1, 29), (2026, 2, 17), (2027, 2, 6), (2028, 1, 26),
    (2029, 2, 13), (2030, 2, 3), (2031, 1, 23), (2032, 2, 11))]
MAINTENANCE_REASONS = ("设备年度保养", "消防安全检查", "电力线路检修", "设备升级改造", "场地翻新")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "霞", "平", "刚", "建华", "志强", "海燕", "文斌", "嘉欣", "晓红", "志明", "丽萍", "鹏", "浩", "婷", "斌", "洁",
         "颖", "亮", "帆", "琳", "倩", "辉", "玲", "雪", "宇", "佳", "欣怡", "子轩", "梓涵", "浩然", "雨泽")
BRANDS_1 = (("鸿", "Hong"), ("泽", "Ze"), ("金", "Jin"), ("康", "Kang"), ("瑞", "Rui"), ("恒", "Heng"), ("东", "Dong"),
            ("佳", "Jia"), ("星", "Xing"), ("锦", "Jin"), ("新", "Xin"), ("宏", "Hong"), ("福", "Fu"), ("立", "Li"),
            ("嘉", "Jia"), ("远", "Yuan"), ("华", "Hua"), ("晨", "Chen"), ("优", "You"), ("联", "Lian"), ("鑫", "Xin"),
            ("博", "Bo"), ("永", "Yong"), ("润", "Run"), ("天", "Tian"), ("正", "Zheng"), ("德", "De"), ("宝", "Bao"))
BRANDS_2 = (("达", "da"), ("丰", "feng"), ("步", "bu"), ("源", "yuan"), ("海", "hai"), ("和", "he"), ("越", "yue"),
            ("盛", "sheng"), ("创", "chuang"), ("泰", "tai"), ("发", "fa"), ("成", "cheng"), ("力", "li"), ("工", "gong"),
            ("兴", "xing"), ("强", "qiang"), ("隆", "long"), ("信", "xin"), ("祥", "xiang"), ("顺", "shun"),
            ("安", "an"), ("凯", "kai"), ("通", "tong"), ("宇", "yu"), ("腾", "teng"), ("鼎", "ding"))
