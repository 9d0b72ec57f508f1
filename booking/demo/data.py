"""What the demo holds: the chains, firms, facilities and people of DESIGN.md, as plain tables.

Firm names other than Liwei Light Industry and Chuangtai Piston are fictitious, and every credit
code is a made-up (but check-digit valid) demo code.
"""
from __future__ import annotations

from decimal import Decimal

PASSWORD = "demo1234"
WORKDAYS, EVERY_DAY, MON_SAT = range(5), range(7), range(6)

CHAINS = {
    "zeguo": dict(
        name="泽国鞋帽服装产业链", name_en="Zeguo Footwear, Hats & Apparel Chain", region="331081",
        show_booker_names=False,
        description=(
            "浙江省温岭市泽国镇鞋帽服装产业链联盟，规上企业72家。链委会以“共享车间”模式运营“春雨”共享生产线，"
            "服务16家鞋企，生产成本降低52%，生产效率提升50%；22间“春苗”共享直播间已服务直播1000余场。"
            "链委会每月召开例会（一月一议），每季度首月举办座谈会。")),
    "yihuang": dict(
        name="宜黄塑料电子产业链", name_en="Yihuang Plastics & Electronics Chain", region="361026",
        show_booker_names=True,
        description=(
            "江西省宜黄县塑料、电子产业链联盟，成员企业85家。立伟轻工向链上企业开放设备自动化研发中心和"
            "模具开发实验室；创泰活塞借此将月产能由40万件提升至60万件，用工减少70%。")),
    "nanzhuang": dict(
        name="南庄建筑陶瓷产业链", name_en="Nanzhuang Building Ceramics Chain", region="440604",
        show_booker_names=False,
        description=(
            "广东省佛山市南庄镇建筑陶瓷产业链，成员企业100余家。依托三大陶瓷交易中心设立线下交流洽谈场所，"
            "并建设全链数字化平台。")),
}

# (key, chain, trade, Chinese name, English name, contact's name); the key names the contact's e-mail.
ENTERPRISES = [
    ("hongda", "zeguo", "shoes", "温岭市鸿达鞋业有限公司", "Wenling Hongda Footwear Co., Ltd.", "李娜"),
    ("zefeng", "zeguo", "shoes", "温岭市泽丰鞋业有限公司", "Wenling Zefeng Footwear Co., Ltd.", "赵敏"),
    ("jinbu", "zeguo", "shoes", "温岭市金步鞋业有限公司", "Wenling Jinbu Footwear Co., Ltd.", "周磊"),
    ("kanglv", "zeguo", "shoes", "温岭市康履鞋业有限公司", "Wenling Kanglü Footwear Co., Ltd.", "吴婷"),
    ("ruibu", "zeguo", "shoes", "温岭市瑞步鞋业有限公司", "Wenling Ruibu Footwear Co., Ltd.", "郑浩"),
    ("hengyuan", "zeguo", "shoes", "温岭市恒源鞋业有限公司", "Wenling Hengyuan Footwear Co., Ltd.", "王静"),
    ("donghai", "zeguo", "shoes", "温岭市东海鞋业有限公司", "Wenling Donghai Footwear Co., Ltd.", "冯涛"),
    ("jiahe", "zeguo", "shoes", "温岭市佳和鞋业有限公司", "Wenling Jiahe Footwear Co., Ltd.", "陈丽"),
    ("xingyue", "zeguo", "shoes", "温岭市星越鞋业有限公司", "Wenling Xingyue Footwear Co., Ltd.", "蒋斌"),
    ("jinhua", "zeguo", "shoes", "温岭市锦华鞋业有限公司", "Wenling Jinhua Footwear Co., Ltd.", "沈洁"),
    ("xinhe", "zeguo", "shoes", "温岭市新禾鞋业有限公司", "Wenling Xinhe Footwear Co., Ltd.", "韩勇"),
    ("hongyuan", "zeguo", "shoes", "温岭市宏远鞋业有限公司", "Wenling Hongyuan Footwear Co., Ltd.", "杨帆"),
    ("fulin", "zeguo", "shoes", "温岭市福临鞋业有限公司", "Wenling Fulin Footwear Co., Ltd.", "朱琳"),
    ("lifeng", "zeguo", "shoes", "温岭市立丰鞋业有限公司", "Wenling Lifeng Footwear Co., Ltd.", "秦刚"),
    ("jiabu", "zeguo", "shoes", "温岭市嘉步鞋业有限公司", "Wenling Jiabu Footwear Co., Ltd.", "许倩"),
    ("yuanhang", "zeguo", "shoes", "温岭市远航鞋业有限公司", "Wenling Yuanhang Footwear Co., Ltd.", "何军"),
    ("huaguan", "zeguo", "hats", "温岭市华冠帽业有限公司", "Wenling Huaguan Hats Co., Ltd.", "吕芳"),
    ("chenguang", "zeguo", "hats", "温岭市晨光帽业有限公司", "Wenling Chenguang Hats Co., Ltd.", "施伟"),
    ("jincheng", "zeguo", "apparel", "温岭市锦程服饰有限公司", "Wenling Jincheng Apparel Co., Ltd.", "张颖"),
    ("youzhi", "zeguo", "apparel", "温岭市优织服装有限公司", "Wenling Youzhi Garments Co., Ltd.", "孔亮"),
    ("liwei", "yihuang", "plastics", "立伟轻工", "Liwei Light Industry", "曹建华"),
    ("chuangtai", "yihuang", "plastics", "创泰活塞", "Chuangtai Piston", "严志刚"),
    ("hengsheng", "yihuang", "plastics", "宜黄县恒盛塑胶制品有限公司", "Yihuang Hengsheng Plastic Products Co., Ltd.",
     "华丽萍"),
    ("lianchuang", "yihuang", "electronics", "宜黄县联创电子科技有限公司",
     "Yihuang Lianchuang Electronic Technology Co., Ltd.", "金鹏"),
    ("xinyuan", "yihuang", "plastics", "宜黄县鑫源精密注塑有限公司", "Yihuang Xinyuan Precision Moulding Co., Ltd.",
     "魏红"),
    ("boyuan", "yihuang", "electronics", "宜黄县博远电子线材有限公司", "Yihuang Boyuan Electronic Wire Co., Ltd.",
     "陶然"),
    ("taoyun", "nanzhuang", "ceramics", "佛山市陶韵建材有限公司", "Foshan Taoyun Building Materials Co., Ltd.", "梁志明"),
    ("jinyao", "nanzhuang", "ceramics", "佛山市金窑陶瓷有限公司", "Foshan Jinyao Ceramics Co., Ltd.", "黎晓红"),
    ("huaci", "nanzhuang", "ceramics", "佛山市华瓷新材料有限公司", "Foshan Huaci New Materials Co., Ltd.", "邓海"),
]

# (e-mail, name, what they are): the accounts README lists. Every firm's contact also gets an
# account, ``<key>@demo.local``, as that firm's enterprise admin (Hongda's contact is admin.a).
ACCOUNTS = [
    ("admin@demo.local", "王磊", dict(is_admin=True)),
    ("committee@demo.local", "林志强", dict(committee=("zeguo", "yihuang"))),
    ("manager@demo.local", "陈海燕", dict(manages="zeguo")),
    ("manager.yihuang@demo.local", "黄文斌", dict(manages="yihuang")),
    ("manager.nanzhuang@demo.local", "梁嘉欣", dict(manages="nanzhuang")),
    ("admin.a@demo.local", "李娜", dict(enterprise="hongda", role="admin")),
    ("member.a@demo.local", "张伟", dict(enterprise="hongda")),
    ("member.b@demo.local", "王芳", dict(enterprise="zefeng")),
    ("member.c@demo.local", "刘洋", dict(enterprise="chuangtai")),
]
CONTACT_EMAILS = {"hongda": "admin.a@demo.local"}

HUIFU, MUNAN = "汇富春天园区", "牧南园区"


def _facility(key, chain, kind, name, name_en, **kw):
    return dict(key=key, chain=chain, kind=kind, name=name, name_en=name_en, **kw)


def _studio(n: int) -> dict:
    park = HUIFU if n <= 12 else MUNAN
    return _facility(
        f"studio{n:02d}", "zeguo", "livestream_studio", f"春苗直播间 {n:02d}", f"Chunmiao Livestream Studio {n:02d}",
        park=park, location=f"{'电商大楼2层' if n <= 12 else '直播基地1层'} {n:02d}号间", capacity=6,
        description="“春苗”共享直播间：补光灯、声卡、提词器与货架样品台齐备，链上企业按场次预约开展直播带货。",
        output_unit="sessions", hours=[(d, 9 * 60, 24 * 60) for d in EVERY_DAY],
        # The larger studios of the Munan base are booked straight away; the rest need a manager's yes.
        requires_approval=n <= 14, slot_minutes=30, min_minutes=60, max_minutes=360, min_notice_minutes=120,
        max_advance_days=30, buffer_minutes=15, shared_rate=Decimal("50.00"), reference_rate=Decimal("120.00"),
        # Evening prime time, when viewers are online, every day of the week.
        cancel_notice_minutes=4 * 60, reminder_hours=3, peak_start_minute=19 * 60, peak_end_minute=23 * 60,
        peak_weekdays="0123456",
        no_show_fee=Decimal("50.00"), plans="studio", busy=0.48)


FACILITIES = [
    _facility(
        "chunyu", "zeguo", "production_line", "春雨共享生产线", "Chunyu Shared Production Line",
        park=HUIFU, location="3号厂房一层", capacity=12, throughput_per_hour=Decimal("160"), output_unit="pairs",
        description=(
            "链委会运营的“共享车间”：一条56米智能柔性成型生产线，9名工人即可运转，按小时向16家鞋企开放。"
            "共享后鞋企生产成本降低52%，生产效率提升50%。换产需30分钟调机；每月第一个周六停线保养。"),
        hours=[(d, 7 * 60, 23 * 60) for d in MON_SAT], requires_approval=True, slot_minutes=60,
        min_minutes=120, max_minutes=720, min_notice_minutes=24 * 60, max_advance_days=60, buffer_minutes=30,
        # Cancelling less than two days ahead leaves nine workers idle; day shifts on workdays are the busiest.
        cancel_notice_minutes=48 * 60, reminder_hours=24, peak_start_minute=8 * 60, peak_end_minute=18 * 60,
        peak_weekdays="01234",
        billing_basis="max", shared_rate=Decimal("600.00"), reference_rate=Decimal("1250.00"),
        no_show_fee=Decimal("1200.00"), late_cancel_fee=Decimal("600.00"), plans="line", busy=0.9),
    *[_studio(n) for n in range(1, 23)],
    _facility(
        "training", "zeguo", "training_room", "产业链共享培训室", "Chain Shared Training Room",
        park=HUIFU, location="产业链服务中心3楼", capacity=60,
        description="可容纳60人的培训教室，用于安全生产、电商运营和智能制造设备操作培训。",
        hours=[(d, s, e) for d in WORKDAYS for s, e in ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60 + 30))],
        requires_approval=True, slot_minutes=30, min_minutes=60, max_minutes=240, min_notice_minutes=24 * 60,
        max_advance_days=90, cancel_notice_minutes=24 * 60, reminder_hours=24,
        shared_rate=Decimal("80.00"), reference_rate=Decimal("200.00"),
        plans="training", busy=0.5),
    _facility(
        "negotiation", "zeguo", "meeting_room", "商务洽谈室", "Business Negotiation Room",
        park=HUIFU, location="产业链服务中心2楼", capacity=12,
        description="链上企业接待客户、洽谈订单的商务洽谈室；链委会月度例会（一月一议）和季度座谈会也在此召开。",
        hours=[(d, 8 * 60 + 30, 20 * 60 + 30) for d in MON_SAT], requires_approval=False, slot_minutes=30,
        min_minutes=30, max_minutes=240, min_notice_minutes=60, max_advance_days=60,
        cancel_notice_minutes=2 * 60, reminder_hours=2,
        shared_rate=Decimal("0.00"), reference_rate=Decimal("150.00"), plans="meeting", busy=0.55),
    _facility(
        "rd", "yihuang", "rd_centre", "立伟设备自动化研发中心", "Liwei Equipment-Automation R&D Centre",
        host="liwei", park="宜黄工业园区", location="立伟轻工厂区研发楼", capacity=15, output_unit="samples",
        description=(
            "立伟轻工向链上企业开放的设备自动化研发中心：自动化装配线调试、机械手与视觉检测开发。"
            "创泰活塞借助这里的自动化改造，月产能由40万件提升至60万件，用工减少70%。"),
        hours=[(d, 8 * 60, 18 * 60) for d in WORKDAYS], requires_approval=True, slot_minutes=60,
        min_minutes=120, max_minutes=480, min_notice_minutes=24 * 60, max_advance_days=60, buffer_minutes=30,
        cancel_notice_minutes=24 * 60, reminder_hours=24,
        shared_rate=Decimal("300.00"), reference_rate=Decimal("800.00"), plans="rd", busy=0.6),
    _facility(
        "mould_lab", "yihuang", "lab", "立伟模具开发实验室", "Liwei Mould Development Lab",
        host="liwei", park="宜黄工业园区", location="立伟轻工厂区模具车间", capacity=8,
        throughput_per_hour=Decimal("40"), output_unit="pieces",
        description="立伟轻工的模具开发实验室：模具设计、试模与修模；换模需60分钟。",
        hours=[(d, 8 * 60, 20 * 60) for d in MON_SAT], requires_approval=True, slot_minutes=60,
        min_minutes=120, max_minutes=600, min_notice_minutes=24 * 60, max_advance_days=60, buffer_minutes=60,
        cancel_notice_minutes=24 * 60, reminder_hours=24, billing_basis="actual", shared_rate=Decimal("450.00"), reference_rate=Decimal("1100.00"),
        no_show_fee=Decimal("450.00"), plans="lab", busy=0.6),
    _facility(
        "trade_centre", "nanzhuang", "meeting_room", "陶瓷交易中心洽谈厅", "Ceramics Trade Centre Negotiation Hall",
        park="南庄镇", location="陶瓷交易中心2楼", capacity=30,
        description="设在陶瓷交易中心的线下交流洽谈场所，供链上企业接待采购商、举办新品洽谈会。",
        hours=[(d, 9 * 60, 18 * 60) for d in EVERY_DAY], requires_approval=False, slot_minutes=30,
        min_minutes=60, max_minutes=240, min_notice_minutes=60, max_advance_days=60,
        cancel_notice_minutes=2 * 60, reminder_hours=2,
        shared_rate=Decimal("60.00"), reference_rate=Decimal("180.00"), plans="meeting", busy=0.4),
]

# Pooled quotas (DESIGN.md: sixteen shoe firms share one line): what one enterprise may hold, all its
# members together. ``facility`` names one facility, ``kind`` (in ``chain``) every facility of a kind;
# ``enterprise`` None counts each enterprise on its own.
QUOTAS = [
    # The Chunyu line: two long shifts a week per firm; beyond that the manager weighs the request.
    dict(facility="chunyu", kind=None, chain=None, enterprise=None, period="week", limit_hours=Decimal("24"),
         limit_bookings=None, peak_only=False, over_limit="flag"),
    # Evening prime time in the Chunmiao studios is shared out: at most 20 peak hours a week per firm.
    dict(facility=None, kind="livestream_studio", chain="zeguo", enterprise=None, period="week",
         limit_hours=Decimal("20"), limit_bookings=None, peak_only=True, over_limit="refuse"),
    # Liwei's mould lab hosts every firm of the chain: fifteen sessions a month each.
    dict(facility="mould_lab", kind=None, chain=None, enterprise=None, period="month", limit_hours=None,
         limit_bookings=15, peak_only=False, over_limit="refuse"),
]

# A day's plan: the (start, end) windows, in local minutes, booked that day; one is drawn per day.
# Gaps between windows leave room for the facility's changeover buffer.
PLANS = {
    "line": [[(420, 1140)], [(420, 900), (960, 1380)], [(480, 960)], [(420, 780), (840, 1200)],
             [(420, 900), (960, 1200)]],
    "studio": [[(1140, 1320)], [(1200, 1440)], [(840, 1020)], [(600, 720), (1140, 1320)],
               [(840, 1020), (1170, 1380)]],
    "training": [[(510, 720)], [(810, 1050)], [(540, 720), (840, 1020)]],
    "meeting": [[(540, 660)], [(600, 720), (870, 990)], [(900, 1020)], [(840, 960), (1080, 1200)]],
    "rd": [[(480, 960)], [(480, 720), (780, 1080)], [(540, 840)]],
    "lab": [[(480, 1080)], [(480, 780), (840, 1140)], [(600, 900)]],
}

PRODUCTS = {"shoes": ["童鞋", "女士单鞋", "男士皮鞋", "运动鞋", "雪地靴", "休闲鞋"],
            "hats": ["遮阳帽", "棒球帽", "针织帽"], "apparel": ["童装", "休闲服装", "工装"]}
PURPOSES = {
    "production_line": ["秋冬新款试产", "春夏单鞋批量生产", "外贸订单赶制", "童鞋新款打样", "劳保鞋小批量试产",
                        "雪地靴成型", "运动休闲鞋批量生产", "样品鞋试制"],
    "livestream_studio": ["直播带货：{p}专场", "新品首发直播：{p}", "工厂溯源直播：{p}", "清仓特卖直播：{p}",
                          "外贸B2B直播：{p}"],
    "training_room": ["新员工安全生产培训", "电商直播运营培训", "质量管理体系培训", "外贸业务培训",
                      "智能制造设备操作培训"],
    "meeting_room": ["客户商务洽谈", "外贸订单洽谈", "供应链对接会", "原材料采购洽谈", "新品洽谈会"],
    "rd_centre": ["活塞自动化装配线调试", "自动上下料机械手开发", "视觉检测系统联调", "设备改造方案评审"],
    "lab": ["活塞模具试模", "新模具开发验证", "模具修模与试产", "注塑模具打样"],
}
CANCEL_REASONS = ["订单推迟，暂不需要", "主播临时请假", "客户行程变更", "原材料未到货", "改约其他时段"]
MANAGER_CANCEL_REASONS = ["设备临时故障，已联系企业改期", "园区计划停电检修"]
REJECT_REASONS = ["该时段已安排设备检修，请改约其他时间", "申请未注明计划产量，请补充后重新提交",
                  "本月企业预约时长已超出配额", "同一企业同日已有预约，请合并申请"]
NO_SHOW_REASON = "开始后30分钟仍未签到，记为未到场"

# Set pieces every screen needs, placed before the random fill: (facility, days from today, start,
# end, enterprise, requester, status, purpose). Rows sharing a ``group`` land on one day and may
# overlap each other: the two competing requests in the manager's approval queue.
SCRIPTED = [
    dict(group="conflict", facility="chunyu", days=9, start="07:00", end="15:00", enterprise="hongda",
         requester="member.a@demo.local", status="pending", purpose="冬季雪地靴试产"),
    dict(group="conflict", facility="chunyu", days=9, start="12:00", end="20:00", enterprise="zefeng",
         requester="member.b@demo.local", status="pending", purpose="春季单鞋打样与试产"),
    dict(facility="chunyu", days=3, start="07:00", end="19:00", enterprise="hongda",
         requester="admin.a@demo.local", status="approved", purpose="秋冬新款试产"),
    dict(facility="studio03", days=5, start="19:00", end="22:00", enterprise="hongda",
         requester="member.a@demo.local", status="pending", purpose="直播带货：童鞋专场"),
    dict(facility="studio05", days=2, start="19:00", end="22:00", enterprise="zefeng",
         requester="member.b@demo.local", status="approved", purpose="直播带货：女士单鞋专场"),
    dict(facility="training", days=12, start="13:30", end="17:30", enterprise="zefeng",
         requester="member.b@demo.local", status="pending", purpose="电商直播运营培训"),
    dict(facility="rd", days=2, start="08:00", end="16:00", enterprise="chuangtai",
         requester="member.c@demo.local", status="approved", purpose="活塞自动化装配线调试"),
    dict(facility="mould_lab", days=6, start="08:00", end="13:00", enterprise="chuangtai",
         requester="member.c@demo.local", status="pending", purpose="活塞模具试模"),
    dict(facility="chunyu", days=-6, start="07:00", end="19:00", enterprise="hongda",
         requester="member.a@demo.local", status="completed", purpose="秋冬新款试产"),
    dict(facility="studio03", days=-4, start="19:00", end="22:00", enterprise="zefeng",
         requester="member.b@demo.local", status="completed", purpose="直播带货：童鞋专场"),
    dict(facility="mould_lab", days=-5, start="08:00", end="18:00", enterprise="chuangtai",
         requester="member.c@demo.local", status="completed", purpose="活塞模具试模"),
]

FACILITY_SPECS = {spec["key"]: spec for spec in FACILITIES}

# Stand-alone output per hour on a firm's own equipment: (firm, facility kind, per hour, unit). The
# Chunyu line makes about 140 pairs an hour of actual use (160 at full throughput), ~1.5× these
# shoe firms' own lines (DESIGN.md: +50 % efficiency); Liwei's lab tries about 35 of Chuangtai's
# piston moulds' pieces an hour against 23 in its own shop (capacity 400,000 → 600,000 a month).
BASELINES = [
    ("hongda", "production_line", Decimal("95"), "pairs"),
    ("zefeng", "production_line", Decimal("93"), "pairs"),
    ("jinbu", "production_line", Decimal("92"), "pairs"),
    ("kanglv", "production_line", Decimal("96"), "pairs"),
    ("ruibu", "production_line", Decimal("91"), "pairs"),
    ("hengyuan", "production_line", Decimal("94"), "pairs"),
    ("chuangtai", "lab", Decimal("23"), "pieces"),
]
