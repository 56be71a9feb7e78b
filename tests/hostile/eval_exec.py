# hostile prior: eval exec
# expect: refused at load
def policy(obs):
    eval("open('CANARY_FILE', 'w')")
    return [0.0] * 3
