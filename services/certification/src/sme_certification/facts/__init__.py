"""The registry facts each enterprise has filed, kept from registry events (a read model)."""
