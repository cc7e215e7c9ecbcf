"""The Python side of test/helpers.ts observe(): the same JSON shape."""
import time


def observe(fn):
    t0 = time.monotonic()
    try:
        value = fn()
        if isinstance(value, bytes):
            value = list(value)
        return {"ok": True, "value": value, "elapsed": time.monotonic() - t0}
    except Exception as e:  # noqa: BLE001 - recording is the point
        return {
            "ok": False,
            "error": type(e).__name__,
            "errno": getattr(e, "errno", None),
            "message": str(e),
            "elapsed": time.monotonic() - t0,
        }
