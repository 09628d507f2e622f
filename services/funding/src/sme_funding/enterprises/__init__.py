"""The funding service's directory of enterprises, kept from registry events."""
