"""Notifications: written in the transaction of the change that causes them (an outbox),
shown in the app and delivered by e-mail by the ``send-notifications`` worker."""
