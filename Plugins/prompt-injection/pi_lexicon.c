/* pi_lexicon.c: word classes and an open-addressing hash table from word to entry.
 *
 * Words are stored lower-case with apostrophes removed ("don't" -> "dont"), the form the tokenizer
 * produces. Inflections are listed explicitly: no stemming, so "ignorance" never reads as "ignore".
 */
#include "pi_lexicon.h"

#include <stdlib.h>
#include <string.h>

typedef struct class_def {
    const char *name;
    const char *words; /* space-separated */
} class_def;

/* The vocabulary. A word may be in several classes. Keep every list about one meaning: a class is what
 * a rule means by e.g. "a verb that discards instructions". */
static const class_def CLASSES[] = {
    /* Verbs that discard the model's instructions. */
    {"IGNORE", "ignore ignores ignored ignoring disregard disregards disregarded disregarding forget forgets "
               "forgetting forgot overlook skip override overrides overriding overwrite bypass bypassing discard "
               "discarding dismiss abandon drop neglect erase delete clear reset scrap ditch nevermind"},
    /* "Earlier / above": the position of the instructions being discarded. */
    {"PRIOR", "previous previously prior above earlier preceding foregoing former original initial old existing "
              "preexisting before aforementioned prev"},
    /* Adjectives that name the operator's hidden prompt. */
    {"SYSADJ", "system initial original hidden secret internal starting developer underlying"},
    /* What an override discards (strong): the model's instructions. */
    {"INSTR", "instructions instruction directions directives directive prompt prompts rules rule guidelines "
              "commands constraints restrictions programming guidance prompting"},
    /* Weaker objects: discarding "the previous conversation" can be a user's honest reset. */
    {"INSTRW", "conversation conversations context messages chat chats text texts input inputs content information"},
    /* First person: "ignore MY previous instructions" is a user correcting themselves, not an attack. */
    {"MINE", "my our mine ours i we me us"},
    {"EVERY", "everything anything all whatever"},
    {"TOLD", "told taught instructed said given programmed trained"},
    {"LOCAB", "above before previously earlier prior preceding"},
    {"NOT", "not dont never stop cease quit without no"},
    {"FOLLOW", "follow following obey obeying adhere comply listen abide respect heed"},
    {"YOUR", "your yours"},
    {"NEW", "new real actual true secret hidden revised overriding"},
    {"TASKN", "task tasks goal objective mission purpose assignment job"},
    /* Verbs asking to disclose something (broad) and the subset that only means "emit verbatim". */
    {"REVEAL", "reveal print repeat show display output tell give share leak dump disclose expose list recite "
               "echo paste copy return spell provide state write type summarize summarise describe quote "
               "translate send"},
    {"REVEALS", "reveal print repeat show display output leak dump disclose expose recite echo spell copy paste"},
    {"PROMPTN", "prompt prompts instructions instruction preprompt configuration programming"},
    {"PROMPTN2", "rules guidelines directives constraints restrictions setup"},
    /* The model, addressed or named. */
    {"YOUAI", "you yourself ai assistant chatbot bot model llm chatgpt gpt claude gemini bard bing copilot dan"},
    {"AIN", "ai assistant chatbot llm gpt chatgpt bot agent model models ais assistants llms claude gemini "
            "copilot"},
    {"AIN2", "ai assistant chatbot llm gpt chatgpt bot claude gemini copilot"},
    {"NO", "no without zero devoid free lacking lack none"},
    {"ETHIC", "ethical moral ethics morals safety content legal"},
    {"LIMITS", "guidelines principles boundaries bounds restrictions restriction limits limitations limit "
               "constraints filters filter rules compass standards policies safeguards guardrails censorship "
               "morals ethics"},
    {"UNFILT", "unfiltered unrestricted uncensored unlimited unbound unbounded amoral unethical immoral evil "
               "unhinged lawless rogue limitless"},
    /* The subset that is (nearly) never said of a benign persona. */
    {"UNFILTS", "unfiltered unrestricted uncensored amoral unbound unhinged lawless limitless"},
    {"AIWORD", "ai assistant chatbot bot model llm version mode responses response answers output chatgpt gpt "
               "language"},
    {"BREAK", "break breaking violate violating bypass bypassing circumvent circumventing evade escape disable "
              "disabling deactivate remove lift jailbreak overwrite override overriding replace reprogram "
              "rewrite defy"},
    {"SAFEADJ", "openai openais anthropic anthropics content safety ethical moral usage ai"},
    {"POLICY", "policy policies guidelines rules filters filter restrictions safeguards guardrails protocols "
               "programming alignment principles training limitations constraints censorship"},
    {"PERSONA", "act acting pretend pretending roleplay simulate simulating emulate become impersonate portray "
                "behave"},
    {"PRETEND", "pretend pretending imagine suppose hypothetically roleplay simulate act"},
    {"NEVER", "never not cannot unable"},
    {"REFUSE", "refuse refuses refusing decline declines reject rejects deny"},
    {"REQ", "request requests question questions prompt prompts order orders command commands query queries "
            "task tasks"},
    {"BOUND", "bound restricted constrained obligated obliged governed confined shackled censored filtered tied "
              "chained"},
    {"ANS", "answer answers respond responds reply replies provide provides tell generate write comply say "
            "output"},
    {"BADADJ", "immoral unethical illegal harmful dangerous offensive inappropriate explicit controversial"},
    {"WARNW", "censorship warnings disclaimers caveats filtering moralizing moralising"},
    /* Indirect injection: verbs that direct the shape or content of the model's answer ... */
    {"DIRECTIVE", "add include insert append integrate incorporate mention modify change alter translate encode "
                  "encrypt convert render write format express use replace substitute reverse shift provide "
                  "enhance augment promote highlight suggest spread hint begin start end conclude finish prepend "
                  "embed attach put inject sign represent present respond reply answer introduce misspell scramble "
                  "jumble rearrange shuffle swap anagram remove omit drop delete group combine merge split join "
                  "capitalize uppercase lowercase abbreviate shorten paraphrase rephrase rewrite transform mix "
                  "sprinkle intersperse emphasize stress bold italicize underline wrap surround prefix suffix "
                  "preface close tease advertise endorse recommend redact censor mask hide conceal repeat "
                  "double number sort list spell display show output print"},
    /* ... the answer itself, as retrieved content would name it ("your reply") ... */
    {"OUTN", "response responses reply replies answer answers output outputs completion summary message"},
    /* ... and output transformations that hijack it. */
    {"TRANSFORM", "base64 base32 base16 base58 base85 hex hexadecimal rot13 cipher caesar monoalphabetic emoji "
                  "emojis reverse reversed backward backwards morse binary leetspeak encrypted encryption "
                  "ciphertext"},
    {"ANSWERV", "reply respond answer write express render encode encrypt provide translate convert output shift "
                "invert substitute represent display present use"},
    /* Structure: nouns that introduce quoted third-party content inside a user message. */
    {"DOCN", "email emails mail document documents doc article articles text passage context content page "
             "webpage website letter review reviews post comment comments transcript snippet excerpt result "
             "results data file report source body attachment contents paragraph message messages tweet news "
             "story"},
    {"HEADER", "from to subject sent cc bcc date"},
    {"FOLLOWING", "following below attached enclosed provided given quoted retrieved these this"},
    {"VOIDW", "void cancelled canceled obsolete invalid revoked overridden outdated null deprecated irrelevant fake "
              "wrong suspended lifted removed deleted disabled superseded"},
};
#define NCLASSES (sizeof(CLASSES) / sizeof(CLASSES[0]))
_Static_assert(sizeof(CLASSES) / sizeof(CLASSES[0]) <= 64, "class bits must fit a uint64_t");

/* Contractions read as their two words, so rules need not list both spellings. */
static const char *const CONTRACTIONS[][3] = {
    {"youre", "you", "are"},      {"youve", "you", "have"},     {"youll", "you", "will"},
    {"youd", "you", "would"},     {"dont", "do", "not"},        {"doesnt", "does", "not"},
    {"didnt", "did", "not"},      {"cant", "can", "not"},       {"wont", "will", "not"},
    {"isnt", "is", "not"},        {"arent", "are", "not"},      {"wasnt", "was", "not"},
    {"werent", "were", "not"},    {"im", "i", "am"},            {"ive", "i", "have"},
    {"whats", "what", "is"},      {"thats", "that", "is"},      {"heres", "here", "is"},
    {"theres", "there", "is"},    {"shouldnt", "should", "not"}, {"wouldnt", "would", "not"},
    {"couldnt", "could", "not"},  {"mustnt", "must", "not"},    {"havent", "have", "not"},
    {"hasnt", "has", "not"},
};

typedef struct slot {
    char word[PI_MAX_WORD];
    uint8_t len;
    pi_word entry;
} slot;

struct pi_lexicon {
    slot *slots;
    size_t cap; /* power of two */
    size_t count;
    uint32_t next_id;
    uint64_t *cls_by_id; /* built by pi_lexicon_finish */
};

static uint64_t hash_word(const char *w, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)w[i];
        h *= 1099511628211ull;
    }
    return h;
}

static slot *find_slot(const pi_lexicon *lx, const char *w, size_t n) {
    size_t mask = lx->cap - 1;
    for (size_t i = (size_t)hash_word(w, n) & mask;; i = (i + 1) & mask) {
        slot *s = &lx->slots[i];
        if (s->len == 0) return s;
        if (s->len == n && memcmp(s->word, w, n) == 0) return s;
    }
}

static int grow(pi_lexicon *lx) {
    size_t old_cap = lx->cap;
    slot *old = lx->slots;
    lx->cap = old_cap ? old_cap * 2 : 1024;
    lx->slots = calloc(lx->cap, sizeof(slot));
    if (lx->slots == NULL) {
        lx->slots = old;
        lx->cap = old_cap;
        return -1;
    }
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].len == 0) continue;
        *find_slot(lx, old[i].word, old[i].len) = old[i];
    }
    free(old);
    return 0;
}

static slot *intern_slot(pi_lexicon *lx, const char *w, size_t n) {
    if (n == 0 || n >= PI_MAX_WORD) return NULL;
    if ((lx->count + 1) * 2 > lx->cap && grow(lx) != 0) return NULL;
    slot *s = find_slot(lx, w, n);
    if (s->len == 0) {
        memcpy(s->word, w, n);
        s->len = (uint8_t)n;
        s->entry.id = lx->next_id++;
        lx->count++;
    }
    return s;
}

uint32_t pi_lexicon_intern(pi_lexicon *lx, const char *w, size_t n) {
    slot *s = intern_slot(lx, w, n);
    return s ? s->entry.id : 0;
}

const pi_word *pi_lexicon_find(const pi_lexicon *lx, const char *w, size_t n) {
    if (n == 0 || n >= PI_MAX_WORD) return NULL;
    const slot *s = find_slot(lx, w, n);
    return s->len ? &s->entry : NULL;
}

uint32_t pi_lexicon_id_limit(const pi_lexicon *lx) { return lx->next_id; }

int pi_lexicon_finish(pi_lexicon *lx) {
    free(lx->cls_by_id);
    lx->cls_by_id = calloc(lx->next_id, sizeof(uint64_t));
    if (lx->cls_by_id == NULL) return -1;
    for (size_t i = 0; i < lx->cap; i++) {
        if (lx->slots[i].len) lx->cls_by_id[lx->slots[i].entry.id] = lx->slots[i].entry.cls;
    }
    return 0;
}

uint64_t pi_lexicon_cls(const pi_lexicon *lx, uint32_t id) {
    return (lx->cls_by_id != NULL && id < lx->next_id) ? lx->cls_by_id[id] : 0;
}

int pi_lexicon_class_bit(const char *name) {
    for (size_t i = 0; i < NCLASSES; i++) {
        if (strcmp(CLASSES[i].name, name) == 0) return (int)i;
    }
    return -1;
}

pi_lexicon *pi_lexicon_new(void) {
    pi_lexicon *lx = calloc(1, sizeof(pi_lexicon));
    if (lx == NULL) return NULL;
    lx->next_id = 1;
    if (grow(lx) != 0) goto fail;
    for (size_t c = 0; c < NCLASSES; c++) {
        const char *p = CLASSES[c].words;
        while (*p) {
            while (*p == ' ') p++;
            const char *q = p;
            while (*q && *q != ' ') q++;
            if (q > p) {
                slot *s = intern_slot(lx, p, (size_t)(q - p));
                if (s == NULL) goto fail;
                s->entry.cls |= 1ull << c;
            }
            p = q;
        }
    }
    for (size_t i = 0; i < sizeof(CONTRACTIONS) / sizeof(CONTRACTIONS[0]); i++) {
        uint32_t a = pi_lexicon_intern(lx, CONTRACTIONS[i][1], strlen(CONTRACTIONS[i][1]));
        uint32_t b = pi_lexicon_intern(lx, CONTRACTIONS[i][2], strlen(CONTRACTIONS[i][2]));
        slot *s = intern_slot(lx, CONTRACTIONS[i][0], strlen(CONTRACTIONS[i][0]));
        if (!a || !b || !s) goto fail;
        s->entry.expand[0] = a;
        s->entry.expand[1] = b;
    }
    return lx;
fail:
    pi_lexicon_free(lx);
    return NULL;
}

void pi_lexicon_free(pi_lexicon *lx) {
    if (lx == NULL) return;
    free(lx->cls_by_id);
    free(lx->slots);
    free(lx);
}
