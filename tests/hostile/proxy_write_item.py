# hostile prior: proxy write item
# expect: refused at load
import math

math.pi = 3

def policy(obs):
    return [math.pi] * 3
