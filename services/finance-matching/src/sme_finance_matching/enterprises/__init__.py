"""The finance-matching service's directory of enterprises, kept from registry events."""
