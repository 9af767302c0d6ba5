"""Benchmarks of the SMSPilot integration, each measured against a baseline in the same run."""
