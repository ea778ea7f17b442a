//! A compact table of common English given-name nicknames (Bob ~ Robert, Peggy ~ Margaret), written
//! for this project, and the lookup that turns a normalised given name into the set of name groups
//! it belongs to. Two names are nickname-equivalent when their group sets intersect; a name such as
//! "al" belongs to several groups (Albert, Alan, Alfred, Alexander).

use ahash::AHashMap;
use std::sync::OnceLock;

/// One group per line: the formal name, then its nicknames and variants.
const TABLE: &str = "\
abigail abby abbie gail
abraham abe bram
adam ade
adrian adrien
albert al bert bertie
alan al allen allan
alfred al alf alfie fred freddie
alexander alex al alec sandy xander lex
alexandra alex alexa sandra sandy lexi
alexis alex lexi
alice allie ally alicia
allison ali allie alison
amanda mandy manda
andrew andy drew
angela angie angel
anna ann anne annie nan nancy hannah
anthony tony ant
antonio tony
arthur art artie
barbara barb barbie babs
benjamin ben benny benji
bernard bernie
beverly bev
bradley brad
brian bryan
caroline carol carrie lina
catherine cathy kate katie kathy kat cat kit katherine kathryn kathleen
charles charlie chuck chas chaz carl
charlotte charlie lottie
christina chris tina chrissy christine kristina kristine
christopher chris kit topher
clifford cliff
cynthia cindy
daniel dan danny
david dave davey
deborah debbie deb debra
dennis denny
donald don donnie
dorothy dot dottie dolly
douglas doug
edward ed eddie ted teddy ned
edwin ed eddie
eleanor ellie nell nora elle
elizabeth liz beth betty betsy eliza lisa libby liza bess lizzie elisabeth
emily em emmy
emma em emmy
eugene gene
evelyn eve evie
frances fran fanny frankie
francis frank fran
frank frankie
franklin frank
frederick fred freddie rick fritz
gabriel gabe
gabrielle gabby brie
gerald gerry jerry
geraldine geri gerry
gregory greg
harold harry hal
harriet hattie
helen nell ellie lena
henry hank harry hal
herbert herb bert
howard howie
isaac ike
isabella bella izzy isabel belle
jacob jake jack
jacqueline jackie
james jim jimmy jamie jimbo
jane janie jenny
janet jan
jason jay
jeffrey jeff geoffrey
jennifer jen jenny jenn
jeremy jerry
jessica jess jessie
joan joanie
john jack johnny jon
jonathan jon jonny nathan
joseph joe joey jo
josephine jo josie
joshua josh
judith judy jude
julia julie jules
justin justy
katherine kate katie kathy kay kit
kenneth ken kenny
kimberly kim kimmy
lawrence larry laurie
leonard leo len lenny
leslie les
lillian lily lil
lorraine lori
louis lou lewis
louise lou lulu
madeline maddie maddy madeleine
margaret maggie meg peggy marge margie greta daisy madge peg
marilyn lyn
marjorie marge margie
martha marty mattie
martin marty
mary molly polly mae maria marie mamie
matthew matt matty
melissa mel missy lisa
michael mike mikey mick mickey
michelle shelly micky
mitchell mitch
nancy nan
natalie nat
nathaniel nat nate nathan
nicholas nick nicky nico
nicole nikki nicky
norman norm
oliver ollie
pamela pam
patricia pat patty trish tricia
patrick pat paddy rick
peter pete
philip phil pip phillip
rachel rae
raymond ray
rebecca becky becca
richard rick dick rich ricky richie
robert bob rob bobby robbie bert robin
roberta bobbie robbie
rodney rod
ronald ron ronnie
rosemary rose rosie
russell russ rusty
samantha sam sammy
samuel sam sammy
sandra sandy sandi
sarah sally sadie sara
stephanie steph stevie
stephen steve stevie steven
susan sue susie suzy suzanne
terence terry
theodore ted teddy theo
thomas tom tommy
timothy tim timmy
valerie val
vincent vince vinny
victoria vicky tori vickie
virginia ginny ginger
walter walt wally
wesley wes
william bill will billy willy liam
winifred winnie freda
zachary zach zack
";

struct Table {
    groups: AHashMap<&'static str, Vec<u16>>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut groups: AHashMap<&'static str, Vec<u16>> = AHashMap::new();
        for (g, line) in TABLE.lines().enumerate() {
            for name in line.split_whitespace() {
                let v = groups.entry(name).or_default();
                if !v.contains(&(g as u16)) {
                    v.push(g as u16);
                }
            }
        }
        Table { groups }
    })
}

/// The nickname groups a normalised (lower-case) given name belongs to; empty if none.
pub fn groups(name: &str) -> &'static [u16] {
    table()
        .groups
        .get(name)
        .map(|v| v.as_slice())
        .unwrap_or(&[])
}

/// Whether two given names are nickname-equivalent (share a group). Equal names are not
/// reported here; compare them for equality first.
pub fn equivalent(a: &str, b: &str) -> bool {
    let (ga, gb) = (groups(a), groups(b));
    ga.iter().any(|g| gb.contains(g))
}

/// The nicknames and variants of `name` (all names sharing one of its groups), for the
/// synthetic data generator.
pub fn variants(name: &str) -> Vec<&'static str> {
    let gs = groups(name);
    if gs.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<&'static str> = TABLE
        .lines()
        .enumerate()
        .filter(|(g, _)| gs.contains(&(*g as u16)))
        .flat_map(|(_, l)| l.split_whitespace())
        .filter(|n| *n != name)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_pairs() {
        assert!(equivalent("bob", "robert"));
        assert!(equivalent("peggy", "margaret"));
        assert!(equivalent("bill", "william"));
        assert!(equivalent("al", "alfred"));
        assert!(!equivalent("bob", "william"));
        assert!(!equivalent("zzz", "robert"));
    }

    #[test]
    fn variants_listed() {
        let v = variants("robert");
        assert!(v.contains(&"bob") && v.contains(&"bobby"));
    }

    /// Checks our own table against the shared test table: most of its pairs for names we cover
    /// that are common should agree; this only tests, the file is never used at run time.
    #[test]
    fn agrees_with_shared_table() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/names/nicknames/names.csv"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let (mut checked, mut agree) = (0, 0);
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 3 || f[1] != "has_nickname" {
                continue;
            }
            if groups(f[0]).is_empty() || groups(f[2]).is_empty() {
                continue;
            }
            checked += 1;
            if equivalent(f[0], f[2]) {
                agree += 1;
            }
        }
        assert!(checked > 100, "checked {checked}");
        assert!(agree * 10 >= checked * 8, "{agree}/{checked}");
    }
}
