"""Test helpers: real wheels and sdists built from short specs, a real index on 127.0.0.1."""
