"""Tests for the SMSPilot integration, its client and its emulator."""
