"""Maintenance windows: the API (``windows``) and the worker's release of what a window held
back once its devices leave maintenance (``release``)."""
