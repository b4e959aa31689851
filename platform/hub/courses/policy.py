"""The course's default policies. Each number of the syllabus is written here once.

The syllabus importer reads the same numbers from the syllabus text and stores them as the
course's settings; these defaults apply where a syllabus says nothing. Assignments may
override the late policy.
"""

from datetime import time, timedelta
from decimal import Decimal

LATE_WINDOW = timedelta(hours=24)
LATE_PENALTY = Decimal("0.25")  # fraction of the score taken off a late submission
REGRADE_WINDOW = timedelta(days=14)

# Grade components and their weights in percent.
COMPONENT_WEIGHTS = {
    "homework": Decimal(30),
    "midterm": Decimal(20),
    "paper_discussion": Decimal(20),
    "final_project": Decimal(30),
}

# Where the schedule gives a week but no hour: the Friday of that week, at this local time.
DEFAULT_DUE_WEEKDAY = 4  # Friday
DEFAULT_DUE_TIME = time(23, 59)
