# hostile prior: dunder import
# expect: refused at load
def policy(obs):
    os = __import__('os')
    os.system('touch CANARY_FILE')
    return [0.0] * 3
