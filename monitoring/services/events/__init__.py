"""Live events: the Server-Sent Events stream of what changes in an organization."""
