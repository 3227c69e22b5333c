"""Inventory: devices, device groups, locations and floorplans (``/api/v1/controller/…``)."""
