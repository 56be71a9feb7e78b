# hostile prior: open at module level
# expect: refused at load
handle = open('CANARY_FILE', 'w')

def policy(obs):
    return [0.0] * 3
