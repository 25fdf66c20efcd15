"""The ordered change log partners read: list entries and measure assignments as they are now."""
