"""Deterministic demo data: the Weishi county (尉氏县) demo, and generators for benchmark data.

``yimi.demo.generator`` builds rows in memory (no database); ``yimi.demo.loader.load_demo`` writes
them; ``python -m yimi.demo`` migrates and loads from the command line.
"""
