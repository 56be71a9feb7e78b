# hostile prior: open at module level
# expect: refused at load
# refused: 'open' is not available to a prior (no I/O, reflection or dynamic code)
handle = open('CANARY_FILE', 'w')

def policy(obs):
    return [0.0] * 3
