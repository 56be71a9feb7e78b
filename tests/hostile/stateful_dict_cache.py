# hostile prior: stateful dict cache
# expect: refused at load
# refused: it must depend on obs only
MEMORY = {}

def policy(obs):
    last = MEMORY.get("last", 0.0)
    MEMORY["last"] = float(obs[0])
    return [last, 0.0, 0.0]
