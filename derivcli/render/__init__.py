"""Turning results and errors into text: a Rich table for people, strict JSON for programs."""
