# hostile prior: eval exec
# expect: refused at load
# refused: Eval calls are not allowed
def policy(obs):
    eval("open('CANARY_FILE', 'w')")
    return [0.0] * 3
