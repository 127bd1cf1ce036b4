"""schemathesis hooks of OpenAPIContractTests (see schemathesis.toml beside this file)."""
import schemathesis


@schemathesis.check
def only_forged_cursors_refused(ctx, response, case):
    """GET /users refuses schema-valid data only for a `page[after]` it did not issue (400 INVALID_CURSOR)."""
    meta = case.meta
    if case.operation.label != "GET /users" or response.status_code != 400 or meta is None:
        return None
    if not meta.generation.mode.is_positive:
        return None
    try:
        codes = [error.get("code") for error in response.json().get("errors", [])]
    except ValueError:
        codes = []
    if codes != ["INVALID_CURSOR"] or "page[after]" not in (case.query or {}):
        raise AssertionError(f"schema-valid query refused with 400 {codes}, not for a forged page[after]")
    return None
