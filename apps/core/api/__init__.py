"""What every API endpoint shares: the error shape, keyset pagination, permissions and schema helpers."""
