"""The audit trail made visible: who changed what, when and why."""
