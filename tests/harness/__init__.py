"""Helpers for tests that run real ``ansible-playbook`` against the emulator."""
