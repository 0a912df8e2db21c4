"""The MaxCompute OpenAPI: operations as values, one signed call path, answers read strictly.

    operations  each OpenAPI operation as a value (action, method, path, query, body, RAM action)
    client      `MaxComputeClient.call(operation)`: signing, retries, deadline, size cap, errors
    retry       the retry decision as a small pure policy
    signing     signature V3 (ACS3-HMAC-SHA256), step by step, and the signer the client uses
    network     TLS context, the connection pool, and the deadline that holds for a whole exchange
    answers     what an answer means: its data, or which error

Only this package imports httpx (and httpcore, its transport's pool).
"""
