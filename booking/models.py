"""Import every model so that SQLAlchemy and Alembic see the whole schema."""
from .accounts.models import ApiToken, AuditEntry, User  # noqa: F401
from .api.idempotency import IdempotencyKey  # noqa: F401
from .billing.models import Charge, EnterpriseBaseline  # noqa: F401
from .bookings.models import Booking, BookingEvent, Series  # noqa: F401
from .calendar.models import CalendarFeed  # noqa: F401
from .facilities.models import BookableHours, Closure, Facility  # noqa: F401
from .notifications.models import DeliveryFailure, Notification, NotificationPreference  # noqa: F401
from .organisation.models import Chain, Enterprise, Membership  # noqa: F401
from .quotas.models import Quota  # noqa: F401
from .reports import rollup  # noqa: F401 - forgets stored report months when what they sum changes
from .reports.models import ReportMonth, ReportMonthPair  # noqa: F401
from .usage.models import UsageCorrection, UsageRecord  # noqa: F401
from .waitlist.models import WaitlistEntry  # noqa: F401
