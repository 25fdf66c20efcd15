"""Notifications: an in-app inbox per account and an outbox a mail or SMS gateway drains."""
