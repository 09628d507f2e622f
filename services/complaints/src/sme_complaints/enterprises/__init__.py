"""The complaints service's directory of enterprises, kept from registry events."""
