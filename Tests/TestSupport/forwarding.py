"""What the test proxies share: forwarding one request to 127.0.0.1:TARGET as it came (method,
path, headers but the hop-by-hop ones, body) and writing its answer back."""
import http.client

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade"}


def forward(handler, target, body):
    """`handler`: a BaseHTTPRequestHandler whose request body (`body`, bytes or None) was read."""
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
    upstream = http.client.HTTPConnection("127.0.0.1", target, timeout=60)
    upstream.request(handler.command, handler.path, body=body or None, headers=headers)
    answer = upstream.getresponse()
    data = answer.read()
    handler.send_response(answer.status, answer.reason)
    for name, value in answer.getheaders():
        if name.lower() not in HOP_BY_HOP:
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
    upstream.close()
