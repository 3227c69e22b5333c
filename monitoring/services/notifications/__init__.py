"""Notifications: a user's notifications and the webhook settings (``inbox``), their texts
(``texts``), webhook deliveries and where they may go."""
