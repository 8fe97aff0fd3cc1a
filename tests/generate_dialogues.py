import json, os
out = "tests/dialogues"
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    os.remove(os.path.join(out, f))

def q(s): return json.dumps(s, ensure_ascii=False)

def turn(user, **kw):
    parts = [f"user: {q(user)}"]
    for k, v in kw.items():
        if k == "slots":
            parts.append("slots: {" + ", ".join(f"{q(a)}: {q(b)}" for a, b in v.items()) + "}")
        elif k == "actions":
            parts.append("actions: Some([" + ", ".join(q(a) for a in v) + "])")
        elif k in ("intent", "flow"):
            parts.append(f"{k}: Some({q(v)})")
        elif k == "handoff":
            parts.append(f"handoff: Some({'true' if v else 'false'})")
        elif k in ("repeat", "user_repeat"):
            parts.append(f"{k}: Some({v})")
        elif k in ("contains", "exact", "regex", "not_contains"):
            name = {"contains": "Contains", "exact": "Exact", "regex": "Regex", "not_contains": "NotContains"}[k]
            parts.append(f"bot: Some({name}({q(v)}))")
        else:
            raise KeyError(k)
    return "        (" + ", ".join(parts) + "),"

n = 0
def dialogue(name, turns, channel=None, comment=""):
    global n
    n += 1
    slug = name.lower().replace(" ", "_").replace(",", "").replace("/", "_").replace("(", "").replace(")", "").replace("'", "")
    head = f"// {comment}\n" if comment else ""
    ch = f"    channel: Some({q(channel)}),\n" if channel else ""
    body = "\n".join(turns)
    with open(f"{out}/{n:02d}_{slug}.ron", "w") as f:
        f.write(f"{head}Dialogue(\n    name: {q(name)},\n{ch}    turns: [\n{body}\n    ],\n)\n")

refund_start = [
    turn("I want a refund", intent="request_refund", flow="refund", contains="order number"),
    turn("order 12345", slots={"order_id": "12345"}, contains="Why would you like a refund?"),
    turn("it arrived broken", slots={"refund_reason": "it arrived broken"}, contains="How much should we refund?"),
]

dialogue("greet, thanks and goodbye", [
    turn("hello", intent="greet", regex="Hello|Hi!", flow="none"),
    turn("thanks", intent="thanks", regex="welcome|Happy to help"),
    turn("bye", intent="goodbye", regex="Goodbye|Bye"),
])
dialogue("faq answers", [
    turn("what are your opening hours", intent="faq_hours", contains="Monday to Friday"),
    turn("how long does shipping take", intent="faq_shipping", contains="3–5 business days"),
    turn("can i pay with paypal", intent="faq_payment", contains="PayPal"),
    turn("what is your return policy", intent="faq_returns", contains="30 days"),
])
dialogue("order status, step by step", [
    turn("where is my order", intent="order_status", flow="order_status", contains="order number"),
    turn("12345", slots={"order_id": "12345"}, actions=["lookup_order"], contains="Order 12345 is shipped", flow="none"),
])
dialogue("order status in one utterance", [
    turn("where is order ORD-5528?", intent="order_status", actions=["lookup_order"], contains="Order ORD-5528 is out for delivery. Expected delivery: December 3, 2026.", flow="none"),
])
dialogue("order status, invalid order number then valid", [
    turn("track my order", flow="order_status"),
    turn("abc", contains="I can't use \"abc\" as the order number", flow="order_status"),
    turn("it's 54321", slots={"order_id": "54321"}, contains="is being processed", flow="none"),
])
dialogue("order status, order service down", [
    turn("where is order 99999", actions=[], contains="something went wrong", flow="none"),
    turn("where is order 12349", actions=["lookup_order"], contains="delivered"),
], comment="Order 99999 simulates a backend outage: the action fails, the user gets an apology, the next turn works.")
dialogue("refund, happy path", refund_start + [
    turn("$40", slots={"refund_amount": "40"}, contains="$40.00 for order 12345 (it arrived broken)"),
    turn("yes", intent="affirm", actions=["create_refund"], regex="Done! Your refund RF-\\d{4} of \\$40.00", flow="none"),
])
dialogue("refund, several slots in one utterance", [
    turn("I want a refund of $40 for order 12345", intent="request_refund", slots={"order_id": "12345", "refund_amount": "40"}, contains="Why would you like a refund?"),
    turn("the lamp was broken", slots={"refund_reason": "the lamp was broken"}, contains="$40.00 for order 12345"),
    turn("yes", actions=["create_refund"], flow="none"),
])
dialogue("refund, correction at confirmation", refund_start + [
    turn("$40", contains="$40.00"),
    turn("no, make it 45", slots={"refund_amount": "45"}, contains="$45.00 for order 12345", flow="refund", actions=[]),
    turn("yes", actions=["create_refund"], contains="of $45.00"),
])
dialogue("refund, correction before confirmation", [
    turn("I want a refund for order 12345", slots={"order_id": "12345"}, contains="Why"),
    turn("sorry, the order is 12346", slots={"order_id": "12346"}, contains="Why"),
    turn("wrong size", slots={"refund_reason": "wrong size"}),
    turn("20 dollars", slots={"refund_amount": "20"}, contains="order 12346"),
    turn("yes", actions=["create_refund"]),
])
dialogue("refund, confirmation denied", refund_start + [
    turn("$40"),
    turn("no", intent="deny", contains="won't go ahead with your refund", actions=[], flow="none"),
])
dialogue("refund, cancelled midway", [
    turn("refund please", flow="refund"),
    turn("cancel", intent="cancel", contains="cancelled your refund", flow="none"),
    turn("cancel", contains="nothing to cancel"),
])
dialogue("refund, amount out of range then valid", refund_start + [
    turn("$50,000", contains="the refund amount must be between 0.01 and 10000", flow="refund"),
    turn("$30", slots={"refund_amount": "30"}, contains="$30.00"),
    turn("yes", actions=["create_refund"]),
])
dialogue("refund, retry cap hands off", [
    turn("I want a refund", flow="refund"),
    turn("abc", contains="I can't use", handoff=False),
    turn("xyz", contains="I can't use", handoff=False),
    turn("no idea", handoff=True, contains="human agent"),
    turn("hello?", exact="", handoff=True),
], comment="Three invalid answers to the same question: hand-off, then the bot stays quiet.")
dialogue("hand-off on request", [
    turn("I want to talk to a human", intent="human", handoff=True, contains="human agent"),
    turn("are you there?", exact="", handoff=True),
])
dialogue("hand-off in the middle of a flow", [
    turn("I want a refund for order 12345", flow="refund"),
    turn("can i speak to an agent", intent="human", handoff=True, contains="human agent"),
])
dialogue("change address, happy path", [
    turn("I need to change my delivery address", intent="change_address", flow="change_address", contains="order number"),
    turn("ORD-12345", slots={"order_id": "ORD-12345"}, contains="new delivery address"),
    turn("42 Harbour Street, Springfield", slots={"new_address": "42 Harbour Street, Springfield"}, contains="to \"42 Harbour Street, Springfield\"?"),
    turn("yes", actions=["change_address"], contains="is now \"42 Harbour Street, Springfield\"", flow="none"),
])
dialogue("change address, denied", [
    turn("change the address for order 12345", slots={"order_id": "12345"}, contains="new delivery address"),
    turn("7 Elm Road", contains="7 Elm Road"),
    turn("nope", contains="won't go ahead", flow="none", actions=[]),
])
dialogue("complaint with a low rating is escalated", [
    turn("I want to make a complaint", intent="complaint", flow="complaint", contains="What happened?"),
    turn("the courier was rude", slots={"complaint_text": "the courier was rude"}, contains="from 1"),
    turn("2", slots={"rating": "2"}, actions=["escalate_complaint"], regex="escalated this as case CS-\\d{4}"),
    turn("please train your couriers", actions=["record_feedback"], contains="Thank you for your feedback", flow="none"),
])
dialogue("complaint with a good rating is noted", [
    turn("i have some feedback", flow="complaint"),
    turn("delivery was late but fine", contains="rate"),
    turn("4", actions=["log_complaint"], contains="noted your complaint"),
    turn("keep it up", actions=["record_feedback"], contains="rated 4/5"),
])
dialogue("complaint, rating out of range", [
    turn("file a complaint", flow="complaint"),
    turn("my parcel was wet"),
    turn("7", contains="the rating must be between 1 and 5", flow="complaint"),
    turn("five", slots={"rating": "5"}, actions=["log_complaint"]),
])
dialogue("contract approval, step by step", [
    turn("submit a contract for approval", intent="submit_contract", flow="contract_approval", contains="Which contract"),
    turn("C-2024-001", slots={"contract_id": "C-2024-001"}, contains="counterparty"),
    turn("Acme Corp", slots={"counterparty": "Acme Corp"}, contains="amount"),
    turn("$4,000", slots={"contract_amount": "4000"}, contains="Who should approve"),
    turn("Jane", slots={"approver": "Jane Smith"}, contains="By when"),
    turn("next Friday", slots={"due_date": "2026-12-04"}, contains="Submit contract C-2024-001 with Acme Corp for $4,000.00 to Jane Smith, due December 4, 2026?"),
    turn("yes", actions=["submit_contract"], regex="Submitted! Reference CTR-\\d{4}. Jane Smith will review it by December 4, 2026.", flow="none"),
])
dialogue("contract approval, everything in one utterance", [
    turn("Please submit contract C-2024-002 with Globex Inc for $12,500, approver Wei, due 2026-12-15", intent="submit_contract",
         slots={"contract_id": "C-2024-002", "counterparty": "Globex Inc", "contract_amount": "12500", "approver": "Wei Zhang", "due_date": "2026-12-15"},
         contains="Submit contract C-2024-002 with Globex Inc for $12,500.00 to Wei Zhang, due December 15, 2026?"),
    turn("yes please", actions=["submit_contract"], flow="none"),
])
contract_to_confirm = [
    turn("new contract approval request for C-2024-003 with Initech, $4,000, approver Carlos, due 2026-12-10", contains="Submit contract C-2024-003"),
]
dialogue("contract approval, date corrected at confirmation", contract_to_confirm + [
    turn("actually the 12th", slots={"due_date": "2026-12-12"}, contains="due December 12, 2026?", actions=[]),
    turn("yes", actions=["submit_contract"], contains="by December 12, 2026"),
])
dialogue("contract approval, amount corrected keeps the currency", [
    turn("submit contract C-2024-004 with Umbrella for ¥8,000, approver Priya, due 2026-12-20", contains="for ¥8,000.00"),
    turn("no, make it 4,500", slots={"contract_amount": "4500 CNY"}, contains="for ¥4,500.00"),
    turn("correct", actions=["submit_contract"]),
])
dialogue("contract approval, due date in the past", [
    turn("contract approval request", flow="contract_approval"),
    turn("C-2024-005"), turn("Hooli"), turn("1000 dollars"), turn("Priya"),
    turn("2026-11-01", contains="that date is in the past", flow="contract_approval"),
    turn("tomorrow", slots={"due_date": "2026-11-30"}, contains="due November 30, 2026?"),
    turn("yes", actions=["submit_contract"]),
])
dialogue("contract approval, unknown approver", [
    turn("submit contract C-2024-006 with Stark for $900", contains="Who should approve"),
    turn("Bob", contains="the approver must be one of: Jane Smith, Wei Zhang, Carlos Diaz, Priya Patel"),
    turn("Priya", slots={"approver": "Priya Patel"}, contains="By when"),
    turn("in 2 weeks", slots={"due_date": "2026-12-13"}),
    turn("no", contains="won't go ahead", flow="none"),
])
dialogue("expense claim", [
    turn("I need to claim an expense", intent="submit_expense", flow="expense", contains="How much"),
    turn("$45.50", slots={"expense_amount": "45.5"}, contains="category"),
    turn("it was a lunch with a client", slots={"expense_category": "meals"}, contains="When"),
    turn("today", slots={"expense_date": "2026-11-29"}, contains="Submit a meals expense of $45.50 from November 29, 2026?"),
    turn("yes", actions=["submit_expense"], regex="Reference EXP-\\d{4}"),
])
dialogue("expense claim in Chinese", [
    turn("报销", intent="submit_expense", flow="expense"),
    turn("500元", slots={"expense_amount": "500 CNY"}, contains="category"),
    turn("taxi", slots={"expense_category": "travel"}),
    turn("昨天", slots={"expense_date": "2026-11-28"}, contains="¥500.00"),
    turn("是的", intent="affirm", actions=["submit_expense"]),
])
dialogue("leave request, step by step", [
    turn("I want to take time off", intent="request_leave", flow="leave", contains="What kind of leave"),
    turn("vacation", slots={"leave_type": "annual"}, contains="first day"),
    turn("next Monday", slots={"leave_start": "2026-11-30"}, contains="How many days"),
    turn("5 days", slots={"leave_days": "5"}, contains="Request 5 days of annual leave from November 30, 2026?"),
    turn("yes", actions=["submit_leave"], regex="Reference LV-\\d{4}", flow="none"),
])
dialogue("leave request in one utterance", [
    turn("I need sick leave from tomorrow for 2 days", intent="request_leave",
         slots={"leave_type": "sick", "leave_start": "2026-11-30", "leave_days": "2"}, contains="Request 2 days of sick leave from November 30, 2026?"),
    turn("ok", actions=["submit_leave"]),
])
dialogue("approver lists pending requests", [
    turn("show pending approvals", intent="list_pending", actions=["list_pending"], contains="You have 3 requests waiting: APR-1001", flow="none"),
])
dialogue("approver approves a request", [
    turn("approve APR-1001", intent="approve_request", slots={"request_id": "APR-1001"}, contains="Approve request APR-1001?"),
    turn("yes", actions=["approve_request"], contains="APR-1001 is approved"),
])
dialogue("approver rejects a request with a reason", [
    turn("reject EXP-2002", intent="reject_request", contains="Why are you rejecting it?"),
    turn("missing receipts", slots={"reject_reason": "missing receipts"}, contains="because \"missing receipts\"?"),
    turn("yes", actions=["reject_request"], contains="EXP-2002 is rejected"),
])
dialogue("status of a request", [
    turn("what's the status of APR-1001", intent="request_status", actions=["request_status"], contains="APR-1001 is waiting for Jane Smith's approval"),
    turn("check request status", contains="Which request"),
    turn("lv-4441", actions=["request_status"], contains="LV-4441 is approved"),
])
dialogue("FAQ digression during a refund, then resume", refund_start[:2] + [
    turn("what are your opening hours?", intent="faq_hours", contains="Monday to Friday", flow="refund", slots={"order_id": "12345"}),
    turn("it arrived broken", slots={"refund_reason": "it arrived broken"}, contains="How much"),
    turn("$40"), turn("yes", actions=["create_refund"]),
], comment="The resumed flow keeps its slots (order_id) and asks its open question again.")
dialogue("order status digression during a contract approval", [
    turn("submit a contract for approval", flow="contract_approval"),
    turn("C-2024-007"), turn("Wayne Enterprises", contains="amount"),
    turn("where is my order 12346", actions=["lookup_order"], contains="Order 12346 is out for delivery", flow="contract_approval"),
    turn("$2,000", slots={"contract_amount": "2000"}, contains="Who should approve"),
    turn("Jane"), turn("2026-12-24", contains="with Wayne Enterprises for $2,000.00"),
    turn("yes", actions=["submit_contract"], flow="none"),
])
dialogue("switching to another flow and back", [
    turn("request leave", flow="leave"),
    turn("annual"),
    turn("I want a refund for order 12345", flow="refund", contains="Why"),
    turn("wrong colour"), turn("$15"), turn("yes", actions=["create_refund"], contains="back to your leave request", flow="leave"),
    turn("Dec 3", slots={"leave_start": "2026-12-03"}), turn("3"),
    turn("yes", actions=["submit_leave"], flow="none"),
])
dialogue("out of scope", [
    turn("what's the weather like on mars", intent="out_of_scope", regex="can't help|not sure I understood", flow="none"),
    turn("sing me a song about pineapples", intent="out_of_scope"),
])
dialogue("Chinese order status", [
    turn("我的订单到哪了", intent="order_status", flow="order_status"),
    turn("订单号是12343", slots={"order_id": "12343"}, actions=["lookup_order"], contains="shipped"),
])
dialogue("empty input", [
    turn("", intent="out_of_scope", regex="can't help|not sure"),
    turn("   "),
    turn("I want a refund for order 12345"),
    turn("", contains="the reason can't be empty", flow="refund"),
    turn("scratched screen", slots={"refund_reason": "scratched screen"}),
])
dialogue("very long input", [
    turn("blah ", user_repeat=20000, intent="out_of_scope"),
    turn("I want a refund for order 12345"),
    turn("word ", user_repeat=200000, flow="refund", contains="How much"),
    turn("$5", contains="word word word"),
], comment="A 100 KB utterance, then a 1 MB free-text answer that is kept whole.")
dialogue("yes and no out of context", [
    turn("yes", contains="not sure what you're answering"),
    turn("no", contains="not sure what you're answering"),
])
dialogue("unclear answer to a confirmation", refund_start + [
    turn("$40"),
    turn("hmm, what do you think about pineapples", contains="Please answer yes or no.", flow="refund"),
    turn("yes", actions=["create_refund"]),
])
dialogue("sms channel variations", refund_start + [
    turn("$40", contains="Reply YES or NO"),
    turn("y", actions=["create_refund"]),
], channel="sms")
long = [
    turn("hello"),
    turn("where is order 12345", actions=["lookup_order"], repeat=40, flow="none"),
    turn("what are your opening hours", repeat=20),
    turn("I want a refund"), turn("order 12341"), turn("damaged"), turn("$12"), turn("yes", actions=["create_refund"], flow="none"),
    turn("thanks", repeat=20),
    turn("submit contract C-2024-099 with Acme for $100, approver Jane, due 2026-12-31", contains="Submit contract C-2024-099"),
    turn("what is your return policy", contains="back to the contract approval", flow="contract_approval"),
    turn("yes", actions=["submit_contract"], flow="none"),
    turn("show pending approvals", actions=["list_pending"], repeat=15),
    turn("bye", flow="none"),
]
dialogue("a long conversation across several flows", long,
         comment="Over 100 turns and several flows: the state stays consistent (no flow left open, every action once per request).")
print(n, "dialogues")
