"""Beffroi: a crisis cockpit for French communes, built on public open data."""

__version__ = "0.1.0"
