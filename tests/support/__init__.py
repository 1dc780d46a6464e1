"""Test helpers shared by every app's tests (synthetic plate photos, corrupt inputs)."""
