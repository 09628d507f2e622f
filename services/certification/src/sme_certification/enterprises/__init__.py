"""The certification service's directory of enterprises, kept from registry events."""
