"""Reliability and security tests: hostile servers, decoder fuzzing, faults, stress, poolers."""
