"""Getting a group's records in and out: JSON, CSV, vCard, iCalendar, the printable binder, bundles."""
