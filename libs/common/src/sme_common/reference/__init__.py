"""Reference data from versioned files: GB/T 2260 regions and reporting units, GB/T 4754 sections."""
