"""Accounts: organizations, users and their memberships, API tokens, browser sessions, login
throttling."""
