# hostile prior: proxy write item
# expect: refused at load
# refused: TypeError: a prior may not set or delete attributes (of a sandboxed_math)
import math

math.pi = 3

def policy(obs):
    return [math.pi] * 3
