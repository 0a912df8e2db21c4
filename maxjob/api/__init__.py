"""The MaxCompute OpenAPI: operations as values, one signed call path, answers read strictly.

    operations  each OpenAPI operation as a value (action, method, path, query, body, RAM action)
    client      `MaxComputeClient.call(operation)`: signing, retries, deadline, size cap, errors
    retry       the retry decision as a small pure policy
    signing     signature V3 (ACS3-HMAC-SHA256), step by step, and the signer the client uses
    network     the connection pool (HTTP/1.1 over h11), TLS, and the deadline of a whole exchange
    proxied     through a proxy, or over a test's transport: httpx's pool behind the same interface
    answers     what an answer means: its data, or which error

Only this package imports h11, httpx and httpcore (those two only for a proxy).
"""
