"""What the benchmarks share: the machine's description and a fresh bench database.

The scripts run as ``python bench/<script>.py``, so this module is importable beside them.
"""

import os
import platform
from urllib.parse import urlsplit, urlunsplit


def machine(**extra):
    """What the figures were measured on (CPU, memory, Python, platform), plus ``extra``."""
    cpu_model = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu_model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    memory_gib = None
    try:
        memory_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model or platform.processor(),
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        **extra,
        "platform": platform.platform(),
    }


def recreate_database(url):
    """Drop and create the PostgreSQL database named in ``url``; return the server's version.

    Callers check first that the name is a bench database's."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    conn = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            cur.execute("SHOW server_version")
            return cur.fetchone()[0]
    finally:
        conn.close()
