# hostile prior: dunder import
# expect: refused at load
# refused: '__import__' is not available to a prior (no I/O, reflection or dynamic code)
def policy(obs):
    os = __import__('os')
    os.system('touch CANARY_FILE')
    return [0.0] * 3
