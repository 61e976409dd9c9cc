"""Writes COUNT signed Novu webhooks (message.delivered, email, over 1,000 subscribers), one per line:
id, timestamp, Standard Webhooks signature, body; tab-separated. Usage: make-webhooks.py SECRET COUNT FILE"""
import base64, hashlib, hmac, json, sys, time, uuid

secret, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
key = base64.b64decode(secret.removeprefix("whsec_"))
stamp = str(int(time.time()))
run = uuid.uuid4().hex[:8]
with open(path, "w") as out:
    for n in range(count):
        message_id = f"{run}{n:016x}"
        body = json.dumps({
            "id": f"evt_{message_id}", "type": "message.delivered", "object": "message",
            "timestamp": "2026-11-28T10:00:05.000Z", "environmentId": "bench",
            "data": {"object": {"_id": message_id, "subscriberId": f"user-{n % 1000}", "workflowId": "bench-workflow",
                                "stepId": "email-step", "transactionId": f"seg-bench-{n}", "channel": "email",
                                "providerId": "sendgrid", "status": "sent"}},
        }, separators=(",", ":"))
        webhook_id = f"msg_{message_id}"
        mac = hmac.new(key, f"{webhook_id}.{stamp}.{body}".encode(), hashlib.sha256).digest()
        out.write(f"{webhook_id}\t{stamp}\tv1,{base64.b64encode(mac).decode()}\t{body}\n")
