"""The committee's reports: utilization, fairness, savings, lead times and occupancy, computed in SQL."""
