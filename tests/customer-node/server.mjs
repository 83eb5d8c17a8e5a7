// A customer's Authentication endpoint, as the README tells customers to write it:
// verify Concierge's Standard Webhooks signature with the stock library, then answer
// with the signed-in user. Prints "listening PORT" once ready.
import http from "node:http";
import { Webhook } from "standardwebhooks";

const secret = process.env.CONCIERGE_SIGNING_SECRET;
const wh = new Webhook(secret);
const users = { "tok-alice": { id: "u-1", email: "alice@example.com", name: "Alice", metadata: { plan: "pro" } } };

const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    const send = (status, json) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    };
    try {
      wh.verify(body, req.headers);
    } catch (e) {
      return send(401, { error: "bad signature: " + e.message });
    }
    const { access_token } = JSON.parse(body);
    const user = users[access_token];
    return user ? send(200, { data: user }) : send(401, { error: "unknown token" });
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
