import ArgumentParser
import Hummingbird
import Logging
import Crypto
import CCurl
import CYAML
import PolicyABI

@main struct Placeholder { static func main() {} }
