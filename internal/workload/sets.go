package workload

// Instructions are the requests that open generated prompts; the corpus
// text that follows is the passage they refer to.
var Instructions = []string{
	"Summarize the following passage in three sentences.",
	"Read the scene below and explain what each speaker wants.",
	"Translate the following dialogue into plain modern English.",
	"List the characters who speak in this excerpt and describe their mood.",
	"What is the main conflict in the passage below? Answer briefly.",
	"Rewrite the following text as a short news report.",
	"Identify three figures of speech in this passage and explain them.",
	"Continue the scene below in the same style for a few more lines.",
	"Explain the following excerpt to a high-school student.",
	"Give a one-paragraph analysis of the tone of this passage.",
	"Find every question asked in the text below and say who asks it.",
	"Describe the setting implied by the following dialogue.",
}

// Set is a named group of realistic prompts of a similar length.
type Set struct {
	Name    string
	Prompts []string
}

// Sets returns the plan's prompt sets: short (about 10 to 30 tokens),
// medium (about 100 to 200) and long (500 and more), as counted by GPT-2.
func Sets() []Set { return []Set{Short, Medium, Long} }

// Short are questions and instructions of about 10 to 30 tokens.
var Short = Set{Name: "short", Prompts: []string{
	"What is the capital of Australia, and why was it chosen over Sydney?",
	"Explain the difference between a process and a thread in one paragraph.",
	"Write a haiku about the first snow of winter in a quiet city.",
	"Give me three tips for improving my sleep schedule.",
	"Translate 'Where is the nearest train station?' into French and Spanish.",
	"What causes the seasons on Earth, and why are they reversed in the southern hemisphere?",
	"Suggest a name for a bakery that specialises in sourdough bread.",
	"How many minutes are there in a week? Show your working.",
}}

// Medium are requests with some context, about 100 to 200 tokens.
var Medium = Set{Name: "medium", Prompts: []string{
	`I am planning a four-day trip to Lisbon in early October with my partner. We enjoy ` +
		`walking, local food, small museums and live music, but we do not like crowded tourist ` +
		`traps or long queues. We will stay in Alfama and do not plan to rent a car, although ` +
		`we are happy to take a train for a day trip. Please suggest a day-by-day itinerary ` +
		`with one or two highlights each morning and afternoon, a neighbourhood to eat in each ` +
		`evening, and a realistic idea of how much walking each day involves. Mention anything ` +
		`we should book in advance.`,
	`Review the following Go function and point out bugs, unclear names and missing error ` +
		`handling. Then rewrite it.

func load(p string) map[string]int {
	f, _ := os.Open(p)
	s := bufio.NewScanner(f)
	m := map[string]int{}
	for s.Scan() {
		parts := strings.Split(s.Text(), "=")
		n, _ := strconv.Atoi(parts[1])
		m[parts[0]] = n
	}
	return m
}`,
	`Our team of six engineers keeps missing sprint goals. Stand-ups run for forty minutes, ` +
		`tickets are often unclear when work starts, and two people spend about a third of ` +
		`their time answering support questions from other teams. Our manager wants to add a ` +
		`second planning meeting each week. Write a short memo to the manager that describes ` +
		`the underlying problems, proposes three concrete changes we could try for the next ` +
		`two sprints, and explains how we would measure whether each change helped. Keep the ` +
		`tone constructive and avoid blaming individuals.`,
	`A customer wrote: "I ordered a blue jacket in size M on the 3rd. The parcel arrived ` +
		`yesterday with a black jacket in size L, and the box was damaged. I need the right ` +
		`jacket before I travel on the 20th. Your website says returns take up to fourteen ` +
		`days to process, which is too late for me." Draft a polite reply from the customer ` +
		`service team that apologises, offers a practical solution that meets the travel ` +
		`date, explains the next steps clearly, and does not promise anything a warehouse ` +
		`could not deliver.`,
}}

// Long are document-sized requests of 500 tokens and more.
var Long = Set{Name: "long", Prompts: []string{
	`You are helping a city council prepare for a public meeting about a proposal to turn ` +
		`the main shopping street into a pedestrian zone. Read the background below and write ` +
		`a balanced briefing of about four hundred words that sets out the main arguments for ` +
		`and against, the evidence that supports each side, the open questions the council ` +
		`should answer before deciding, and two compromise options.

Background. The street is eight hundred metres long and carries about eleven thousand ` +
		`vehicles a day, a fifth of them delivery vans. It has ninety-four shops, twenty-one ` +
		`cafes and restaurants, two banks, a library and a primary school at its northern end. ` +
		`Footfall counters show about nine thousand pedestrians on a typical weekday and ` +
		`fifteen thousand on Saturdays. Vacancy among shop units has risen from four percent ` +
		`to eleven percent over five years. Two bus routes use the street; moving them to the ` +
		`parallel road would add about four minutes to each journey and take them three ` +
		`hundred metres further from the health centre.

A survey of traders found that forty-eight percent oppose the change, thirty-five ` +
		`percent support it and the rest are undecided. Opponents worry that customers who ` +
		`drive will go to the retail park on the ring road, that deliveries will become ` +
		`harder, and that older and disabled residents will find it difficult to reach the ` +
		`shops. Supporters point to towns of similar size where footfall rose by between ` +
		`ten and thirty percent after pedestrianisation, to cleaner air near the school, and ` +
		`to space for outdoor seating and markets. A survey of residents found sixty-one ` +
		`percent in favour, with stronger support among people under forty and among those ` +
		`who live within a kilometre of the street.

The council's transport officers estimate that nitrogen dioxide along the street ` +
		`exceeds the legal limit on about thirty days a year. They propose delivery windows ` +
		`before ten in the morning and after six in the evening, twelve blue-badge parking ` +
		`spaces at the ends of the zone, and a shuttle bus on market days. The scheme would ` +
		`cost about 2.4 million to build, of which a regional fund could pay half if the ` +
		`council applies by March. Maintenance would add about ninety thousand a year. The ` +
		`police have asked for access for emergency vehicles at all times and for bollards ` +
		`that can be lowered remotely. The local cycling group wants cycling allowed outside ` +
		`peak hours; the disability forum wants it banned at all times.

Finally, two previous attempts to reduce traffic in the town centre were abandoned: a ` +
		`trial closure on Saturdays in 2015, stopped after traders complained about falling ` +
		`sales although the data collected was never published, and a one-way scheme in 2019 ` +
		`that was reversed after congestion spread to residential streets. Several council ` +
		`members have said they do not want to repeat those experiences, and the local ` +
		`newspaper has called the proposal "a gamble with the high street's future".`,
	`Below is the description of a small service and its current incident. Act as an ` +
		`experienced site reliability engineer. Explain the most likely root causes in order ` +
		`of probability, the exact commands or queries you would run to confirm each one, the ` +
		`immediate mitigation, and the longer-term fixes you would propose in the incident ` +
		`review.

System. An order service written in Go runs as six replicas behind a load balancer. ` +
		`Each replica keeps a pool of at most fifty connections to a PostgreSQL primary, and ` +
		`reads go to two replicas through a connection pooler. Requests normally take about ` +
		`forty milliseconds at the 99th percentile. The service calls a payment provider over ` +
		`HTTPS with a timeout of thirty seconds and retries failed calls three times with no ` +
		`backoff. A background worker in each replica reconciles payments every minute by ` +
		`selecting all orders in the "pending" state and updating them in one transaction.

Incident. At 14:05 the 99th percentile latency rose to nine seconds and the error rate ` +
		`to twelve percent, mostly timeouts returned by the load balancer after ten seconds. ` +
		`CPU on the replicas stayed below thirty percent. The database primary shows CPU at ` +
		`eighty-five percent, a rising number of connections waiting on locks, and one ` +
		`long-running transaction that started at 14:02. The payment provider's status page ` +
		`reports degraded performance since 13:58. The number of orders in the pending state ` +
		`has grown from about two hundred to eleven thousand since noon because of a marketing ` +
		`campaign. Memory on two replicas has climbed steadily and one was restarted by the ` +
		`orchestrator at 14:20 after exceeding its limit. Goroutine counts rose from about ` +
		`three hundred to over twenty thousand on the replicas that were not restarted.

Deployments. A release at 11:30 changed the reconciliation query to join the ` +
		`customers table so that it could send confirmation e-mails, and raised the HTTP ` +
		`client's maximum idle connections from ten to one hundred. No database migrations ` +
		`ran today. The on-call engineer has already tried scaling the service to ten ` +
		`replicas, which made the database metrics worse within five minutes, and has rolled ` +
		`the pooler back to its previous configuration without effect.

Explain your reasoning step by step, say which observations each hypothesis explains ` +
		`and which it does not, and say what you would tell the customer support team while ` +
		`the incident is ongoing. Keep the explanation practical: the readers are the ` +
		`engineers who will be paged the next time this happens.`,
	`Write a detailed lesson plan for a ninety-minute class that introduces secondary ` +
		`school students, aged fifteen to sixteen, to the basics of probability. The class has ` +
		`twenty-eight students with mixed abilities, including four who are still learning ` +
		`English and two who use screen readers. The classroom has one projector, a ` +
		`whiteboard, and a set of dice, coins and playing cards; students do not have laptops.

The lesson should cover what probability means as a number between zero and one, the ` +
		`difference between theoretical and experimental probability, equally likely ` +
		`outcomes, the probability of an event not happening, and simple combined events ` +
		`with two coins or two dice. It should end with students able to explain why the ` +
		`sum of seven is the most likely total when two dice are rolled.

Please structure the plan with timings for each part, starting with a short activity ` +
		`that captures interest, then direct teaching, a practical experiment in small groups, ` +
		`a class discussion that compares the groups' results with the theory, and a short ` +
		`assessment at the end. For each part, describe exactly what the teacher says and ` +
		`does, what the students do, the questions the teacher should ask, and the common ` +
		`misconceptions to watch for, such as the belief that after five heads a tail is ` +
		`"due". Explain how the lesson supports the students who are learning English and ` +
		`the students who use screen readers, and suggest an extension task for students ` +
		`who finish early and a simpler version of the experiment for students who find it ` +
		`difficult.

Also include a worksheet of eight questions of increasing difficulty with answers, a ` +
		`short homework task that asks students to collect data at home, and three exit ` +
		`questions the teacher can use to check understanding in the last five minutes. ` +
		`Finally, write a paragraph the teacher could send to parents explaining what the ` +
		`class learned and how they could talk about probability at home, for example when ` +
		`playing board games or looking at weather forecasts.

For the experiment, give precise instructions: how many times each group rolls the ` +
		`dice, how they record results in a tally table, how the table is turned into ` +
		`relative frequencies, and how the class pools its results on the whiteboard so ` +
		`that everyone can see the pattern become clearer as the number of rolls grows. ` +
		`Suggest what the teacher should do if a group's results look very different from ` +
		`the others, and how to use that moment to talk about sample size and chance rather ` +
		`than mistakes. Add a short note on classroom management: how to form the groups, ` +
		`how to keep the noise of the dice under control, and how to hand out and collect ` +
		`the equipment quickly. Keep the language of the ` +
		`student-facing parts simple and friendly, and avoid any material that depends on ` +
		`gambling for money.`,
}}
