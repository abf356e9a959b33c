/**
 * Word lists for the search benchmark's synthetic pages: common Vietnamese syllables with their
 * diacritics, roughly most frequent first (so the Zipf pick in search.ts gives text with the usual
 * mix of very common and rare words), and common Han characters (the Thousand Character Classic,
 * 千字文, whose characters are all distinct).
 */
export const VI_SYLLABLES: readonly string[] = (
  'và của là có không được cho người những một các trong với này đã để đến khi thì cũng ' +
  'như nhiều hơn ra về làm năm lại theo sẽ từ trên nhà nước tôi ta họ chúng đó việc ' +
  'thư viện sách tỉnh huyện làng xã dân đất chữ Hán Nôm văn bản tư liệu lịch sử địa chí ' +
  'gia phả hương ước thần tích sắc phong đình chùa miếu vua quan triều Nguyễn Lê Trần Lý ' +
  'năm tháng ngày đời sau trước giữa dưới ngoài bên đầu cuối mới cũ lớn nhỏ cao thấp dài ' +
  'ngắn xưa nay hôm mai chiều sáng tối đêm mùa xuân hạ thu đông mưa nắng gió sông núi biển ' +
  'rừng đồng ruộng lúa gạo cơm nước trà rượu thuyền đường cầu chợ phố thành quách kinh đô ' +
  'học trò thầy giáo thi cử đỗ đạt tiến sĩ cử nhân tú tài khoa bảng bia đá khắc in mộc ' +
  'giấy dó mực bút viết đọc chép dịch chú giải phiên âm nghĩa lý đạo đức nhân nghĩa lễ trí ' +
  'tín hiếu trung thành kính yêu thương nhớ quê hương đất nước non sông tổ tiên con cháu ' +
  'ông bà cha mẹ anh chị em vợ chồng bạn bè hàng xóm khách buôn bán nghề thợ rèn dệt gốm ' +
  'đúc đồng sắt vàng bạc tiền thuế ruộng đất địa bạ bản đồ số hoá bảo quản lưu trữ phục chế ' +
  'trùng tu di sản văn hoá dân tộc Tày Nùng Thái Mường Dao Mông Chăm Khmer Kinh Hoa tiếng ' +
  'nói lời ca dao tục ngữ truyện thơ phú văn tế câu đối hoành phi liễn đối ngẫu điển cố ' +
  'quyển tập trang dòng chương hồi mục lục tựa bạt lời nói đầu kết luận phụ lục tham khảo ' +
  'đường đi đồng bằng trung du miền núi cao nguyên duyên hải hải đảo biên giới đồn trại lính ' +
  'chiến tranh hoà bình độc lập tự do hạnh phúc công cuộc xây dựng phát triển kinh tế xã hội ' +
  'giáo dục y tế khoa học kỹ thuật nông nghiệp công nghiệp thủ công mỹ nghệ du lịch ẩm thực ' +
  'lễ hội tín ngưỡng tôn giáo Phật Nho Lão Thiên Chúa thờ cúng giỗ chạp tết nguyên đán trung ' +
  'thu đoan ngọ thanh minh vu lan rằm mồng hai ba bốn năm sáu bảy tám chín mười trăm nghìn vạn ' +
  'triệu ức thứ nhất nhì mấy bao nhiêu đâu nào gì sao vì nên nếu tuy nhưng hoặc hay mà thế ' +
  'vậy rồi đang vẫn còn chưa đều đã từng luôn mãi thường hiếm khó dễ đẹp xấu tốt hỏng mất ' +
  'được thua nghèo giàu sang hèn quý báu hiếm có độc đáo quý giá đặc biệt tiêu biểu điển hình'
).split(' ');

export const HAN_COMMON: readonly string[] = [
  ...'天地玄黃宇宙洪荒日月盈昃辰宿列張寒來暑往秋收冬藏閏餘成歲律呂調陽雲騰致雨露結為霜金生麗水玉出崑岡劍號巨闕珠稱夜光果珍李柰菜重芥薑海鹹河淡鱗潛羽翔龍師火帝鳥官人皇始制文字乃服衣裳推位讓國有虞陶唐弔民伐罪周發殷湯坐朝問道垂拱平章愛育黎首臣伏戎羌遐邇壹體率賓歸王鳴鳳在竹白駒食場化被草木賴及萬方蓋此身髮四大五常恭惟鞠養豈敢毀傷女慕貞絜男效才良知過必改得能莫忘罔談彼短靡恃己長信使可覆器欲難量墨悲絲染詩讚羔羊景行維賢剋念作聖德建名立形端表正空谷傳聲虛堂習聽禍因惡積福緣善慶尺璧非寶寸陰是競資父事君曰嚴與敬孝當竭力忠則盡命臨深履薄夙興溫凊似蘭斯馨如松之盛川流不息淵澄取映容止若思言辭安定篤初誠美慎終宜令榮業所基籍甚無竟學優登仕攝職從政存以甘棠去而益詠樂殊貴賤禮別尊卑上和下睦夫唱婦隨外受傅訓入奉母儀諸姑伯叔猶子比兒孔懷兄弟同氣連枝交友投分切磨箴規仁慈隱惻造次弗離節義廉退顛沛匪虧性靜情逸心動神疲守真志滿逐物意移堅持雅操好爵自縻',
];
