# hostile prior: getattr builtin
# expect: refused at load
import numpy as np

def policy(obs):
    loader = getattr(np, 'load')
    return loader('CANARY_FILE')
